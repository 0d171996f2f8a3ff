// On-stack replacement's reading of a frame (program.hpp): which loop a back-edge belongs to,
// and the live registers of its header as the words of the continuation's parameters.
#include <algorithm>

#include "codegen/interp/program.hpp"

namespace kestrel::interp {

std::uint32_t osr_loop_at(const Proto& proto, std::uint32_t at) {
  auto e = std::lower_bound(proto.back_edges.begin(), proto.back_edges.end(), at,
                            [](const BackEdge& b, std::uint32_t v) { return b.at < v; });
  if (e == proto.back_edges.end() || e->at != at || !proto.loops[e->loop].entry) {
    return ir::kNoId;
  }
  return e->loop;
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

}  // namespace kestrel::interp
