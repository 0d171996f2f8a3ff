// The virtual machine: one dispatch loop over typed register instructions (Lua's lvm.c is the
// model). With GCC and Clang the loop threads its dispatch through a table of label addresses
// (computed goto); elsewhere it is a plain switch. Calls do not recurse in C++: a CALL pushes a
// CallInfo and switches to the callee's code, so recursion depth is bounded by a counter and a
// runaway recursion is a runtime error, not a crash. The scalar instructions are one line each
// in vm_scalar.hpp, calling the rules every backend shares (runtime/rules/).
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

#include "codegen/common/library_error.hpp"
#include "codegen/common/tier.hpp"
#include "codegen/interp/program.hpp"
#include "codegen/interp/vm_scalar.hpp"
#include "codegen/interp/vm_support.hpp"
#include "runtime/array_reduction.hpp"
#include "runtime/clock.hpp"
#include "runtime/csv.hpp"
#include "runtime/format.hpp"
#include "runtime/reduce.hpp"
#include "runtime/rules/messages.hpp"
#include "runtime/stream.hpp"

namespace kestrel::interp {

namespace {

struct CallInfo {
  const Proto* proto;
  const Instr* pc;  // where the caller resumes
  std::size_t base;
};

/// The partial results of the float reductions of the parallel loops now running.
struct PforState {
  std::vector<std::vector<Slot>> partials;  // one list per reduction
};

class Vm {
 public:
  Vm(CompiledProgram::Impl& prog, const RunOptions& opt)
      : prog_(prog), opt_(opt), stack_(take_spare(prog)) {
    if (stack_.size() < (1 << 12)) {
      stack_.resize(1 << 12);
    }
  }
  ~Vm() {
    std::lock_guard<std::mutex> lock(prog_.state_mutex);
    if (stack_.size() > prog_.spare_stack.size()) {
      prog_.spare_stack = std::move(stack_);
    }
  }
  Vm(const Vm&) = delete;
  Vm& operator=(const Vm&) = delete;

  void run(std::uint32_t fn, const Slot* args, Slot* results);

 private:
  [[noreturn]] void unwind_and_throw(const Instr* pc, const Proto* proto, std::size_t base,
                                     const std::string& message);
  /// The callers on the way out (library_error.hpp), innermost first.
  std::vector<codegen::CallerFrame> callers() const {
    std::vector<codegen::CallerFrame> frames;
    for (std::size_t k = calls_.size(); k-- > 0;) {
      const Proto* p = calls_[k].proto;
      frames.push_back(
          {p->name, p->spans[static_cast<std::size_t>(calls_[k].pc - 1 - p->code.data())]});
    }
    return frames;
  }
  /// Releases what every frame holds, innermost first (`pc`: the instruction the innermost
  /// frame is at), and the parallel loops' state: the run is being left by an exception.
  void release_frames(const Instr* pc, const Proto* proto, std::size_t base);
  /// A loop's back-edge (`at`: its FORLOOP or backward JMP) whose poll budget ran out: polls
  /// the run's limits (throws when they say stop) and, in a tiered run, asks the hook whether
  /// the loop continues natively. When it does, runs the rest of the call there through the
  /// hook (the live registers as words in the continuation's order, the stream handed over
  /// and taken back) and returns true with the call's result in osr_out_.
  bool back_edge(const Instr* at, const Proto* proto, std::size_t base, rt::Stream& stream);
  /// Runs the rest of the call natively from `loop`'s header (the hook said it is ready):
  /// back_edge's second half, and a parallel loop's start (PENTRY).
  bool switch_loop(codegen::LoopRef loop, const Instr* at, const Proto* proto, std::size_t base,
                   rt::Stream& stream);
  /// A tiered run's switch (codegen/common/tier.hpp): runs the call of `fn`, whose frame (its
  /// arguments) starts at `frame`, natively through the hook, and leaves its results there.
  void call_native(std::uint32_t fn, Slot* frame, rt::Stream& stream);
  void grow(std::size_t need) {
    std::size_t n = stack_.size();
    while (n < need) {
      n *= 2;
    }
    stack_.resize(n);
  }
  void write(const std::string& text) {
    if (opt_.out != nullptr) {
      *opt_.out += text;
    } else {
      std::fwrite(text.data(), 1, text.size(), stdout);
    }
  }

  // Array reductions (ARED_*): the registers hold each chunk's private copies, and the arrays
  // themselves are held by the ArrayReductions until the end, when the registers get them back.
  void ared_begin(Slot* R, Instr i);
  void ared_next(Slot* R, Instr i);
  void ared_end(Slot* R, Instr i);
  /// Hands in the registers' copies as the next chunk (or releases them when `keep` is false).
  void ared_hand_in(Slot* R, const ArrayReductionDesc& d, bool keep);

  CompiledProgram::Impl& prog_;
  const RunOptions& opt_;
  std::vector<std::int64_t> osr_words_;
  std::vector<std::int64_t> osr_out_;
  std::vector<Slot> stack_;
  std::vector<CallInfo> calls_;
  std::vector<PforState> pfor_;
  struct AredState {
    std::unique_ptr<rt::ArrayReductions> red;
    std::int64_t next_chunk = 0;
  };
  std::vector<AredState> ared_;
  std::int64_t index_[2] = {0, 0};
};

void Vm::unwind_and_throw(const Instr* pc, const Proto* proto, std::size_t base,
                          const std::string& message) {
  diag::Span span = proto->spans[static_cast<std::size_t>(pc - proto->code.data())];
  std::vector<codegen::CallerFrame> frames = callers();
  release_frames(pc, proto, base);
  throw codegen::relocate(RunError(span, message), proto->name, frames);
}

void Vm::release_frames(const Instr* pc, const Proto* proto, std::size_t base) {
  // Release every frame's locals and the temporaries that own a reference at the instruction
  // the frame is at (the faulting one, or a caller's CALL), innermost frame first: a callee
  // releases its array parameters and leaves them null before its caller looks at them.
  auto release_frame = [&](const Proto* p, std::size_t b, const Instr* at) {
    auto q = static_cast<std::uint32_t>(at - p->code.data());
    for (const OwnedTemp& t : p->owned_temps) {
      if (t.begin <= q && q < t.end) {
        release_slot(stack_[b + t.reg], t.table);
      }
    }
    for (std::uint16_t r : p->array_locals) {
      release_slot(stack_[b + r]);
    }
    for (std::uint16_t r : p->table_locals) {
      release_slot(stack_[b + r], true);
    }
  };
  release_frame(proto, base, pc);
  while (!calls_.empty()) {
    CallInfo ci = calls_.back();
    calls_.pop_back();
    release_frame(ci.proto, ci.base, ci.pc - 1);
  }
  pfor_.clear();
  ared_.clear();
}

void Vm::call_native(std::uint32_t fn, Slot* frame, rt::Stream& stream) {
  const Proto& callee = prog_.protos[fn];
  constexpr std::size_t kWords = 16;
  std::int64_t small_in[kWords];
  std::int64_t small_out[kWords];
  std::vector<std::int64_t> big_in;
  std::vector<std::int64_t> big_out;
  std::int64_t* in = small_in;
  std::int64_t* out = small_out;
  if (callee.nparams > kWords) {
    big_in.resize(callee.nparams);
    in = big_in.data();
  }
  if (callee.nresults > kWords) {
    big_out.resize(callee.nresults);
    out = big_out.data();
  }
  std::memcpy(in, frame, sizeof(Slot) * callee.nparams);
  out[0] = 0;
  StreamState st{stream.key, stream.counter};
  codegen::TierState state{&opt_, &st, static_cast<std::uint32_t>(calls_.size() + opt_.depth + 1)};
  // The callee's frame owns its array and table arguments (the interpreted callee would release
  // them at RET); native code borrows them, so they are released here, whatever happens.
  struct ReleaseArgs {
    const Proto& callee;
    Slot* frame;
    ~ReleaseArgs() {
      for (std::uint16_t r : callee.array_locals) {
        if (r < callee.nparams) {
          release_slot(frame[r]);
        }
      }
      for (std::uint16_t r : callee.table_locals) {
        if (r < callee.nparams) {
          release_slot(frame[r], true);
        }
      }
    }
  };
  {
    ReleaseArgs release{callee, frame};
    struct KeepStream {
      rt::Stream& stream;
      const StreamState& st;
      ~KeepStream() { stream = rt::Stream{st.key, st.counter}; }
    } keep{stream, st};
    opt_.tier->call_function(ir::FnId{fn}, std::span<const std::int64_t>(in, callee.nparams), out,
                             state);
  }
  std::memcpy(frame, out, sizeof(Slot) * callee.nresults);
}

bool Vm::back_edge(const Instr* at, const Proto* proto, std::size_t base, rt::Stream& stream) {
  if (opt_.limits != nullptr && opt_.limits->can_stop()) {
    std::string why = rt::stop_message(*opt_.limits);
    if (!why.empty()) {
      throw rt::RuntimeError(why);
    }
  }
  codegen::TierHook* tier = opt_.tier;
  if (tier == nullptr) {
    return false;
  }
  const BackEdge* edge = osr_back_edge(*proto, static_cast<std::uint32_t>(at - proto->code.data()));
  if (edge == nullptr) {
    return false;
  }
  codegen::LoopRef loop{ir::FnId{static_cast<std::uint32_t>(proto - prog_.protos.data())},
                        edge->loop};
  // The iterations left, from the next one: known for a `for` loop in no other loop of its
  // function (what a loop inside another has left is not all that the call has left).
  std::int64_t left = -1;
  if (edge->outermost && (at->op == Op::FORLOOP1 || at->op == Op::FORLOOP)) {
    const Slot* R = stack_.data() + base;
    std::int64_t step = at->op == Op::FORLOOP1 ? 1 : R[at->b + 1].i;
    std::int64_t span = 0;
    if (step != 0 && !__builtin_sub_overflow(R[at->b].i, R[at->a].i, &span)) {
      // i < hi (step > 0) or i > hi (step < 0): ceil(span / step) iterations, span and step
      // of one sign.
      std::int64_t d = span / step;
      left = d + (d * step != span ? 1 : 0);
    } else {
      left = std::numeric_limits<std::int64_t>::max();
    }
  }
  if (!tier->loop_ready(loop, left)) {
    return false;
  }
  return switch_loop(loop, at, proto, base, stream);
}

bool Vm::switch_loop(codegen::LoopRef loop, const Instr* at, const Proto* proto, std::size_t base,
                     rt::Stream& stream) {
  codegen::TierHook* tier = opt_.tier;
  std::uint32_t n = loop.index;
  osr_live_words(*proto, n, stack_.data() + base, osr_words_);
  osr_out_.assign(std::max<std::uint32_t>(proto->nresults, 1), 0);
  StreamState st{stream.key, stream.counter};
  codegen::TierState state{&opt_, &st, opt_.depth + static_cast<std::uint32_t>(calls_.size())};
  try {
    tier->continue_loop(loop, osr_words_, osr_out_.data(), state);
  } catch (const RunError& e) {
    stream = rt::Stream{st.key, st.counter};
    save_stream(prog_, opt_, stream);
    std::vector<codegen::CallerFrame> frames = callers();
    release_frames(at, proto, base);
    throw codegen::relocate(e, proto->name, frames);  // library_error.hpp
  }
  stream = rt::Stream{st.key, st.counter};
  return true;
}

void Vm::ared_begin(Slot* R, Instr i) {
  const ArrayReductionDesc& d = prog_.array_reductions[i.b];
  std::vector<rt::ArrayRef> targets;
  std::vector<rt::CombineOp> ops;
  for (std::size_t r = 0; r < d.regs.size(); ++r) {
    targets.push_back(rt::ArrayRef::adopt(static_cast<rt::Array*>(R[d.regs[r]].p)));
    R[d.regs[r]].p = nullptr;
    ops.push_back(static_cast<rt::CombineOp>(d.ops[r]));
  }
  ared_.push_back(
      AredState{std::make_unique<rt::ArrayReductions>(std::move(targets), std::move(ops)), 0});
  for (std::size_t r = 0; r < d.regs.size(); ++r) {
    R[d.regs[r]].p = ared_.back().red->fresh(r).detach();
  }
  R[i.a].i = 0;
}

void Vm::ared_hand_in(Slot* R, const ArrayReductionDesc& d, bool keep) {
  std::vector<rt::ArrayRef> copies;
  for (std::uint16_t reg : d.regs) {
    copies.push_back(rt::ArrayRef::adopt(static_cast<rt::Array*>(R[reg].p)));
    R[reg].p = nullptr;
  }
  if (keep) {
    AredState& st = ared_.back();
    st.red->done(st.next_chunk++, std::move(copies));
  }
}

void Vm::ared_next(Slot* R, Instr i) {
  const ArrayReductionDesc& d = prog_.array_reductions[i.b];
  ared_hand_in(R, d, true);
  for (std::size_t r = 0; r < d.regs.size(); ++r) {
    R[d.regs[r]].p = ared_.back().red->fresh(r).detach();
  }
  R[i.a].i = 0;
}

void Vm::ared_end(Slot* R, Instr i) {
  const ArrayReductionDesc& d = prog_.array_reductions[i.b];
  ared_hand_in(R, d, R[i.a].i > 0);
  rt::ArrayReductions& red = *ared_.back().red;
  red.finish();
  for (std::size_t r = 0; r < d.regs.size(); ++r) {
    R[d.regs[r]].p = red.target(r).get();
    rt::retain(red.target(r).get());
  }
  ared_.pop_back();
}

#if defined(__GNUC__)
#define KESTREL_VM_COMPUTED_GOTO 1
#endif

void Vm::run(std::uint32_t fn, const Slot* args, Slot* results) {
  const Proto* proto = &prog_.protos[fn];
  std::size_t base = 0;
  if (stack_.size() < proto->nregs + 1) {
    grow(proto->nregs + 1);
  }
  std::memset(stack_.data(), 0, sizeof(Slot) * proto->nregs);
  std::memcpy(stack_.data(), args, sizeof(Slot) * proto->nparams);
  Slot* R = stack_.data();
  const Slot* K = proto->k.data();
  const Instr* pc = proto->code.data();
  const rt::Limits* limits =
      opt_.limits != nullptr && opt_.limits->can_stop() ? opt_.limits : nullptr;
  // Back-edges (and calls, for the limits) count down a budget: when it runs out they poll
  // the limits and, in a tiered run, ask the hook whether the loop continues natively.
  const bool polling = limits != nullptr || opt_.tier != nullptr;
  const std::uint32_t period = opt_.tier != nullptr ? prog_.loop_poll_period : 1U << 16;
  std::uint32_t budget = period;
  // A run that continues a caller's depth (RunOptions::depth) has that much less to go.
  const std::size_t max_depth =
      opt_.max_call_depth > opt_.depth ? opt_.max_call_depth - opt_.depth : 0;
  codegen::TierHook* const tier = opt_.tier;
  rt::Stream stream;
  if (opt_.stream != nullptr) {
    stream = rt::Stream{opt_.stream->key, opt_.stream->counter};
  } else {
    std::lock_guard<std::mutex> lock(prog_.state_mutex);
    stream = rt::Stream{prog_.stream_key, prog_.stream_pos};
  }
  Instr i{};

// Operand access: registers, constants and the sign-extended offsets.
#define RA (R[i.a])
#define RB (R[i.b])
#define RC (R[i.c])
#define KB (K[i.b])
#define KC (K[i.c])
#define SC (arg_sc(i))
#define SBX (arg_sbx(i))
#define BX (arg_bx(i))
// Back-edges poll the run's limits (interrupt, deadline) every 2^16 times.
#define POLL()                                     \
  do {                                             \
    if (limits != nullptr && --budget == 0) {      \
      budget = period;                             \
      std::string why = rt::stop_message(*limits); \
      if (!why.empty()) {                          \
        throw rt::RuntimeError(why);               \
      }                                            \
    }                                              \
  } while (0)
// A loop's back-edge, at its header: the limits' poll, and on-stack replacement in a tiered run
// (back_edge); when the rest of the call ran natively, return its result (osr_return).
#define BACK_EDGE()                                 \
  do {                                              \
    if (polling && --budget == 0) {                 \
      budget = period;                              \
      if (back_edge(pc - 1, proto, base, stream)) { \
        goto osr_return;                            \
      }                                             \
    }                                               \
  } while (0)

#ifdef KESTREL_VM_COMPUTED_GOTO
  static const void* const kLabels[] = {
#define KESTREL_OP_LABEL(name, form, effect) &&L_##name,
      KESTREL_INTERP_OPCODES(KESTREL_OP_LABEL)
#undef KESTREL_OP_LABEL
  };
#define DISPATCH()                                 \
  do {                                             \
    i = *pc++;                                     \
    goto* kLabels[static_cast<std::size_t>(i.op)]; \
  } while (0)
#define CASE(name) L_##name:
#define NEXT DISPATCH()
#else
#define DISPATCH() goto dispatch
#define CASE(name) case Op::name:
#define NEXT goto dispatch
#endif

  try {
#ifdef KESTREL_VM_COMPUTED_GOTO
    DISPATCH();
#else
  dispatch:
    i = *pc++;
    switch (i.op) {
#endif
    CASE(MOV) {
      RA = RB;
      NEXT;
    }
    CASE(LOADK) {
      RA = K[BX];
      NEXT;
    }
    CASE(LOADI) {
      RA.i = SBX;
      NEXT;
    }
    CASE(LOADNIL) {
      for (std::uint16_t r = 0; r < i.b; ++r) {
        R[i.a + r].p = nullptr;
      }
      NEXT;
    }
    CASE(COPYA) {
      RA = RB;
      retain_slot(RA, i.c != 0);
      NEXT;
    }
    CASE(SETA) {
      Slot old = RA;
      retain_slot(RB, i.c != 0);
      RA = RB;
      release_slot(old, i.c != 0);
      NEXT;
    }
    CASE(MOVEA) {
      Slot old = RA;
      RA = RB;
      RB.p = nullptr;
      release_slot(old, i.c != 0);
      NEXT;
    }
    CASE(RELEASE) {
      release_slot(RA, i.c != 0);
      NEXT;
    }
// The scalar instructions (vm_scalar.hpp): RA.field = value.
#define SCALAR_CASE(name, field, value) \
  CASE(name) {                          \
    RA.field = value;                   \
    NEXT;                               \
  }
    KESTREL_VM_SCALAR_OPS(SCALAR_CASE)
#undef SCALAR_CASE
    CASE(JMP) {
      if (SBX < 0) {
        BACK_EDGE();
      }
      pc += SBX;
      NEXT;
    }
    CASE(JMPF) {
      if (RA.i == 0) {
        pc += SBX;
      }
      NEXT;
    }
    CASE(JMPT) {
      if (RA.i != 0) {
        pc += SBX;
      }
      NEXT;
    }
// Fused compare-and-branch: jump when the comparison is false.
#define JUMP_UNLESS(cond) \
  if (!(cond)) {          \
    pc += SC;             \
  }                       \
  NEXT
    CASE(JNEQ_I) { JUMP_UNLESS(RA.i == RB.i); }
    CASE(JNNE_I) { JUMP_UNLESS(RA.i != RB.i); }
    CASE(JNLT_I) { JUMP_UNLESS(RA.i < RB.i); }
    CASE(JNLE_I) { JUMP_UNLESS(RA.i <= RB.i); }
    CASE(JNEQ_F64) { JUMP_UNLESS(RA.f == RB.f); }
    CASE(JNNE_F64) { JUMP_UNLESS(RA.f != RB.f); }
    CASE(JNLT_F64) { JUMP_UNLESS(RA.f < RB.f); }
    CASE(JNLE_F64) { JUMP_UNLESS(RA.f <= RB.f); }
    CASE(JNEQK_I) { JUMP_UNLESS(RA.i == KB.i); }
    CASE(JNNEK_I) { JUMP_UNLESS(RA.i != KB.i); }
    CASE(JNLTK_I) { JUMP_UNLESS(RA.i < KB.i); }
    CASE(JNLEK_I) { JUMP_UNLESS(RA.i <= KB.i); }
    CASE(JNGTK_I) { JUMP_UNLESS(RA.i > KB.i); }
    CASE(JNGEK_I) { JUMP_UNLESS(RA.i >= KB.i); }
    CASE(JNEQK_F64) { JUMP_UNLESS(RA.f == KB.f); }
    CASE(JNNEK_F64) { JUMP_UNLESS(RA.f != KB.f); }
    CASE(JNLTK_F64) { JUMP_UNLESS(RA.f < KB.f); }
    CASE(JNLEK_F64) { JUMP_UNLESS(RA.f <= KB.f); }
    CASE(JNGTK_F64) { JUMP_UNLESS(RA.f > KB.f); }
    CASE(JNGEK_F64) { JUMP_UNLESS(RA.f >= KB.f); }
#undef JUMP_UNLESS
    CASE(FORPREP) {
      std::int64_t step = R[i.b + 1].i;
      if (step == 0) {
        throw rt::RuntimeError(rt::zero_step_message());
      }
      if (step > 0 ? !(RA.i < RB.i) : !(RA.i > RB.i)) {
        pc += SC;
      }
      NEXT;
    }
    CASE(FORPREP1) {
      if (!(RA.i < RB.i)) {
        pc += SC;
      }
      NEXT;
    }
    CASE(FORLOOP) {
      std::int64_t step = R[i.b + 1].i;
      std::int64_t next;
      if (!__builtin_add_overflow(RA.i, step, &next) && (step > 0 ? next < RB.i : next > RB.i)) {
        RA.i = next;
        BACK_EDGE();
        pc += SC;
      }
      NEXT;
    }
    CASE(FORLOOP1) {
      if (++RA.i < RB.i) {
        BACK_EDGE();
        pc += SC;
      }
      NEXT;
    }
    CASE(PENTRY) {
      if (tier != nullptr && i.c < proto->loops.size() && proto->loops[i.c].entry) {
        codegen::LoopRef loop{ir::FnId{static_cast<std::uint32_t>(proto - prog_.protos.data())},
                              i.c};
        std::int64_t trips = 0;
        (void)__builtin_sub_overflow(RB.i, RA.i, &trips);
        if (tier->loop_start_ready(loop, trips) && switch_loop(loop, pc - 1, proto, base, stream)) {
          goto osr_return;
        }
      }
      NEXT;
    }
    CASE(PFOR_BEGIN) {
      // No local with a destructor here: NEXT's computed goto would skip it.
      const auto& reds = prog_.reductions[i.b];
      pfor_.emplace_back();
      pfor_.back().partials.resize(reds.size());
      for (const ReductionSlot& r : reds) {
        R[r.saved] = R[r.reg];
        R[r.reg] = identity(r.scalar, r.op);
      }
      RA.i = 0;
      NEXT;
    }
    CASE(PFOR_STEP) {
      if (++RA.i == rt::kReduceChunk) {
        const auto& reds = prog_.reductions[i.b];
        PforState& st = pfor_.back();
        for (std::size_t k = 0; k < reds.size(); ++k) {
          st.partials[k].push_back(R[reds[k].reg]);
          R[reds[k].reg] = identity(reds[k].scalar, reds[k].op);
        }
        RA.i = 0;
      }
      NEXT;
    }
    CASE(PFOR_END) {
      const auto& reds = prog_.reductions[i.b];
      PforState& st = pfor_.back();
      for (std::size_t k = 0; k < reds.size(); ++k) {
        const ReductionSlot& r = reds[k];
        std::vector<Slot>& parts = st.partials[k];
        auto combine = [op = static_cast<rt::CombineOp>(r.op)](auto a, auto b) {
          return rt::combine_values(op, a, b);
        };
        if (RA.i > 0) {
          parts.push_back(R[r.reg]);
        }
        if (parts.empty()) {
          R[r.reg] = R[r.saved];
        } else if (r.scalar == ir::Scalar::F32) {
          std::vector<float> v;
          for (Slot s : parts) {
            v.push_back(s.f32);
          }
          float t = rt::combine_tree<float>(v, 0.0f, combine);
          R[r.reg].f32 = combine(R[r.saved].f32, t);
        } else {
          std::vector<double> v;
          for (Slot s : parts) {
            v.push_back(s.f);
          }
          double t = rt::combine_tree<double>(v, 0.0, combine);
          R[r.reg].f = combine(R[r.saved].f, t);
        }
      }
      pfor_.pop_back();
      NEXT;
    }
    CASE(ARED_BEGIN) {
      ared_begin(R, i);
      NEXT;
    }
    CASE(ARED_STEP) {
      if (++RA.i == rt::kReduceChunk && prog_.array_reductions[i.b].chunked) {
        ared_next(R, i);
      }
      NEXT;
    }
    CASE(ARED_END) {
      ared_end(R, i);
      NEXT;
    }
    CASE(SELECT) {
      RA = RB.i != 0 ? RC : R[i.c + 1];
      NEXT;
    }
    CASE(RANDOM2) {
      // Two independent Philox blocks in one handler: the CPU overlaps their dependency chains.
      std::int64_t key = RB.i;
      double x = rt::random(key, RC.i);
      double y = rt::random(key, R[i.c + 1].i);
      RA.f = x;
      R[i.a + 1].f = y;
      NEXT;
    }
    CASE(RANDOM_STREAM) {
      RA.f = rt::next_random(stream);
      NEXT;
    }
    CASE(RANDN_STREAM) {
      RA.f = rt::next_randn(stream);
      NEXT;
    }
    CASE(CLOCK) {
      RA.f = rt::clock_seconds();
      NEXT;
    }
    CASE(SEED) {
      rt::seed(stream, RA.i);
      NEXT;
    }
    CASE(PSTREAM_BEGIN) {
      rt::Stream b = rt::begin_parallel(stream);
      RA.i = b.key;
      R[i.a + 1].i = b.counter;
      NEXT;
    }
    CASE(PSTREAM_ITER) {
      stream = rt::substream(rt::Stream{RA.i, R[i.a + 1].i}, RB.i);
      NEXT;
    }
    CASE(PSTREAM_END) {
      stream = rt::Stream{RA.i, R[i.a + 1].i + 1};
      NEXT;
    }
    CASE(GETINDEX) {
      RA.i = index_[i.b];
      NEXT;
    }
    CASE(SETINDEX) {
      index_[i.b] = RA.i;
      NEXT;
    }
    CASE(CHECKGRID) {
      if (RA.i < 0) {
        rt::check_size(rt::Shape(RA.i), ("launch of " + prog_.protos[BX].name).c_str());
      }
      NEXT;
    }
    CASE(LAUNCH) {
      if (tier != nullptr &&
          launch_natively(prog_, i.a, R, opt_,
                          opt_.depth + static_cast<std::uint32_t>(calls_.size()), stream)) {
        pc += SC;
      }
      NEXT;
    }
    CASE(PRINT) {
      // The line lives in an inner block: a computed goto (NEXT) leaves a scope without running
      // destructors, so no object with one may still be alive when NEXT jumps.
      {
        const PrintLayout& layout = prog_.prints[i.c];
        std::string line;
        std::uint16_t r = i.a;
        for (const PrintItem& item : layout.items) {
          line += item.before;
          append_printed(line, item.type, R[r]);
          line += item.after;
          ++r;
        }
        line += layout.end;
        write(line);
      }
      NEXT;
    }
    CASE(CALL) {
      const Proto* callee = &prog_.protos[BX];
      if (calls_.size() >= max_depth) {
        throw rt::RuntimeError(rt::call_depth_message(opt_.max_call_depth));
      }
      POLL();
      if (tier != nullptr) {
        // A call over many array elements first (call_start_ready may want the full pipeline's
        // code for it where function_ready would give the baseline tier's).
        std::int64_t elements =
            tier->weighing(ir::FnId{BX}) ? argument_elements(*callee, R + i.a) : 0;
        if ((elements > 0 && tier->call_start_ready(ir::FnId{BX}, elements)) ||
            (tier->watching(ir::FnId{BX}) && tier->function_ready(ir::FnId{BX}))) {
          call_native(BX, R + i.a, stream);
          NEXT;
        }
      }
      std::size_t nb = base + i.a;
      if (nb + callee->nregs + 1 > stack_.size()) {
        grow(nb + callee->nregs + 1);
      }
      calls_.push_back(CallInfo{proto, pc, base});
      base = nb;
      R = stack_.data() + base;
      for (std::uint16_t r : callee->array_inits) {
        R[r].p = nullptr;
      }
      proto = callee;
      K = proto->k.data();
      pc = proto->code.data();
      NEXT;
    }
  osr_return:
    // The rest of the call ran natively (back_edge): return its result as RET would.
    for (std::uint16_t r : proto->array_locals) {
      release_slot(R[r]);
    }
    for (std::uint16_t r : proto->table_locals) {
      release_slot(R[r], true);
    }
    std::memcpy(R, osr_out_.data(), sizeof(Slot) * proto->nresults);
    i = Instr{Op::RET, 0, static_cast<std::uint16_t>(proto->nresults), 0};
    goto ret_results;
    CASE(RET) {
      for (std::uint16_t r : proto->array_locals) {
        release_slot(R[r]);
      }
      for (std::uint16_t r : proto->table_locals) {
        release_slot(R[r], true);
      }
    ret_results:
      if (i.a != 0 && i.b != 0) {
        std::memmove(R, R + i.a, sizeof(Slot) * i.b);
      }
      if (calls_.empty()) {
        std::memcpy(results, R, sizeof(Slot) * i.b);
        save_stream(prog_, opt_, stream);
        return;
      }
      CallInfo ci = calls_.back();
      calls_.pop_back();
      proto = ci.proto;
      pc = ci.pc;
      base = ci.base;
      R = stack_.data() + base;
      K = proto->k.data();
      NEXT;
    }
    CASE(ARRAY) {
      exec_array(prog_.array_ops[BX], R, i.a, prog_);
      NEXT;
    }
#ifndef KESTREL_VM_COMPUTED_GOTO
    case Op::kCount:
      break;
  }
#endif
}
catch (const rt::RuntimeError& e) {
  save_stream(prog_, opt_, stream);
  unwind_and_throw(pc - 1, proto, base, e.what());
}
catch (const RunError& e) {
  // Native code of a tiered run (this frame's function, or a CALL's callee) failed: this run's
  // frames are released and the error goes on, reported where library_error.hpp says.
  save_stream(prog_, opt_, stream);
  const Instr* at = pc - 1;
  std::vector<codegen::CallerFrame> frames = callers();
  std::string_view inner = proto->name;
  if (at->op == Op::CALL) {
    frames.insert(frames.begin(),
                  {proto->name, proto->spans[static_cast<std::size_t>(at - proto->code.data())]});
    inner = prog_.protos[arg_bx(*at)].name;
  }
  release_frames(at, proto, base);
  throw codegen::relocate(e, inner, frames);
}
}

}  // namespace

void execute(CompiledProgram::Impl& program, std::uint32_t fn, const Slot* args, Slot* results,
             const RunOptions& options) {
  rt::LimitsScope scope(options.limits);
  Vm vm(program, options);
  try {
    vm.run(fn, args, results);
  } catch (...) {
    // A block loop's stream the error left open ends with the run (a stream never outlives the
    // call that opened it).
    if (options.limits != nullptr) {
      rt::close_run_streams(options.limits->run);
    }
    throw;
  }
}

}  // namespace kestrel::interp
