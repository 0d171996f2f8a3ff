#pragma once
// Splitting huge functions (issue 16 item 3: compile time linear in the program). LLVM's passes
// cost a function time that grows faster than its size: InstCombine asks, for each select and
// freeze, whether a value is poison by walking every dominating block
// (isGuaranteedNotToBeUndefOrPoison), the register coalescer, loop strength reduction, SCEV and
// SimplifyCFG's unreachable-block sweeps are per loop or per pass over the whole function. A
// function of N statements in sequence has a dominator tree N deep, so each costs it O(N^2).
// split_large_functions cuts such a function, before optimisation, into a chain of outlined
// pieces of bounded size (LLVM's CodeExtractor), each called once from the function: the passes
// then cost each piece a bounded time, and the program time linear in its statements.
namespace llvm {
class Module;
}  // namespace llvm

namespace kestrel::jit::split {

/// A function of more basic blocks than this (as lowered) is split.
constexpr unsigned kSplitFrom = 512;
/// The pieces are about this many blocks (a cut needs a block outside every loop, so a piece
/// may be larger: one whole loop nest).
constexpr unsigned kPieceBlocks = 128;

/// Splits every defined function of `m` of more than `split_from` blocks into pieces of about
/// `piece_blocks` blocks: the regions between consecutive blocks of the dominator tree's spine
/// (the path from the entry to its deepest block) that lie outside every loop, each outlined
/// into an internal `noinline` function named after the function (FUNCTION.pieceK), which gets
/// the cheap pipeline as the function does (passes.hpp's kMaxFullBlocks). A region that would
/// hold a return, or that a block outside it enters elsewhere than at its first block, is left
/// in place. Values the pieces share stay in the function's stack slots (passed by pointer), so
/// results are the same bits. KESTREL_JIT_SPLIT_BLOCKS=N sets both bounds to N (tests: split
/// every function of the golden programs).
void split_large_functions(llvm::Module& m, unsigned split_from = kSplitFrom,
                           unsigned piece_blocks = kPieceBlocks);

}  // namespace kestrel::jit::split
