#pragma once
// A bounded max-heap of (distance, id) for the PQ searches: keeps the k smallest pairs in
// (distance, id) order, so equal distances are decided by the smaller id whatever order the
// candidates arrive in.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace he::retrieval {

template <class D>
class TopK {
 public:
  explicit TopK(size_t k = 0) : k_(k) { heap_.reserve(k); }
  void reset(size_t k) { k_ = k, heap_.clear(), heap_.reserve(k); }
  bool full() const { return heap_.size() == k_; }
  // The worst kept pair; only meaningful when full().
  const std::pair<D, int64_t>& worst() const { return heap_.front(); }
  // Whether (d, id) would enter.
  bool accepts(D d, int64_t id) const {
    return !full() || d < heap_.front().first ||
           (d == heap_.front().first && id < heap_.front().second);
  }
  void push(D d, int64_t id) {
    if (!accepts(d, id)) return;
    if (full()) {
      std::pop_heap(heap_.begin(), heap_.end());
      heap_.back() = {d, id};
    } else {
      heap_.emplace_back(d, id);
    }
    std::push_heap(heap_.begin(), heap_.end());
  }
  // The kept pairs, best first; empties the heap.
  std::vector<std::pair<D, int64_t>> take_sorted() {
    std::sort(heap_.begin(), heap_.end());
    return std::move(heap_);
  }

 private:
  size_t k_;
  std::vector<std::pair<D, int64_t>> heap_;
};

}  // namespace he::retrieval
