// A tiered run's switches that read a frame (program.hpp): which loop a back-edge belongs to,
// the live registers of its header as the words of the continuation's parameters (on-stack
// replacement), and a kernel launch's words handed to native code (launch_natively).
#include <algorithm>
#include <limits>

#include "codegen/common/tier.hpp"
#include "codegen/interp/program.hpp"
#include "runtime/error.hpp"
#include "runtime/rules/messages.hpp"

namespace kestrel::interp {

const BackEdge* osr_back_edge(const Proto& proto, std::uint32_t at) {
  auto e = std::lower_bound(proto.back_edges.begin(), proto.back_edges.end(), at,
                            [](const BackEdge& b, std::uint32_t v) { return b.at < v; });
  if (e == proto.back_edges.end() || e->at != at || !proto.loops[e->loop].entry) {
    return nullptr;
  }
  return &*e;
}

void osr_live_words(const Proto& proto, std::uint32_t loop, const Slot* R,
                    std::vector<std::int64_t>& words) {
  // The parameters from the last back to the first, then their words in order.
  words.clear();
  for (std::uint32_t n = proto.loops[loop].last; n != ir::kNoId; n = proto.osr_nodes[n].parent) {
    const OsrNode& node = proto.osr_nodes[n];
    for (std::uint16_t w = node.count; w-- > 0;) {
      words.push_back(R[node.reg + w].i);
    }
  }
  std::reverse(words.begin(), words.end());
}

bool launch_natively(const CompiledProgram::Impl& program, std::uint32_t site, const Slot* R,
                     const RunOptions& options, std::uint32_t depth, rt::Stream& stream) {
  const LaunchSite& l = program.launches[site];
  std::int64_t instances = 1;
  for (std::uint32_t d = 0; d < l.dims; ++d) {
    if (__builtin_mul_overflow(instances, R[l.words[d]].i, &instances)) {
      instances = std::numeric_limits<std::int64_t>::max();
    }
  }
  if (!options.tier->launch_ready(l.expr, instances)) {
    return false;
  }
  // The interpreted launch's first instance CALL checks the depth limit (at the launch's span,
  // as here); the native launch would too, but this is the interpreter's own message and site.
  if (instances > 0 && depth >= options.max_call_depth) {
    throw rt::RuntimeError(rt::call_depth_message(options.max_call_depth));
  }
  std::vector<std::int64_t> words(l.words.size());
  for (std::size_t k = 0; k < words.size(); ++k) {
    words[k] = R[l.words[k]].i;
  }
  StreamState st{stream.key, stream.counter};
  codegen::TierState state{&options, &st, depth};
  struct KeepStream {
    rt::Stream& stream;
    const StreamState& st;
    ~KeepStream() { stream = rt::Stream{st.key, st.counter}; }
  } keep{stream, st};
  options.tier->run_launch(l.expr, words, state);
  return true;
}

}  // namespace kestrel::interp
