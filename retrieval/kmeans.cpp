#include "retrieval/kmeans.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

#include "engine/random.h"
#include "kernels/kmeans.h"

namespace he::retrieval {

namespace {

double squared_distance(const float* a, const float* b, int64_t d) {
  double s = 0;
  for (int64_t t = 0; t < d; ++t) {
    const double diff = double(a[t]) - b[t];
    s += diff * diff;
  }
  return s;
}

// Exact (double) squared distance of every row to its assigned centroid; summed in index
// order so the inertia does not depend on the thread count.
double inertia_of(const float* x, int64_t n, int64_t d, const std::vector<float>& c,
                  const std::vector<int64_t>& assign, std::vector<double>& per_point) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i)
    per_point[i] = squared_distance(x + i * d, c.data() + assign[i] * d, d);
  return std::accumulate(per_point.begin(), per_point.end(), 0.0);
}

// Centroids = means of their points (double sums over each cluster's points in index order).
// Returns the empty clusters, whose centroids are left unchanged.
std::vector<int64_t> update_centroids(const float* x, int64_t n, int64_t d, int64_t k,
                                      const std::vector<int64_t>& assign, std::vector<float>& c) {
  std::vector<int64_t> start(k + 1, 0), order(n);
  for (int64_t i = 0; i < n; ++i) start[assign[i] + 1]++;
  for (int64_t j = 0; j < k; ++j) start[j + 1] += start[j];
  std::vector<int64_t> fill(start.begin(), start.end() - 1);
  for (int64_t i = 0; i < n; ++i) order[fill[assign[i]]++] = i;
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t j = 0; j < k; ++j) {
    const int64_t count = start[j + 1] - start[j];
    if (count == 0) continue;
    std::vector<double> sum(d, 0.0);
    for (int64_t p = start[j]; p < start[j + 1]; ++p) {
      const float* xi = x + order[p] * d;
      for (int64_t t = 0; t < d; ++t) sum[t] += xi[t];
    }
    for (int64_t t = 0; t < d; ++t) c[j * d + t] = static_cast<float>(sum[t] / count);
  }
  std::vector<int64_t> empty;
  for (int64_t j = 0; j < k; ++j)
    if (start[j + 1] == start[j]) empty.push_back(j);
  return empty;
}

void check_sizes(const char* what, int64_t n, int64_t d, int64_t k) {
  if (n < 1 || d < 1 || k < 1 || k > n)
    throw std::invalid_argument(
        std::string(what) + ": need n >= 1, d >= 1 and 1 <= k <= n; got n=" + std::to_string(n) +
        " d=" + std::to_string(d) + " k=" + std::to_string(k));
}

}  // namespace

std::vector<int64_t> kmeans_plus_plus(const float* x, int64_t n, int64_t d, int64_t k,
                                      uint64_t seed) {
  check_sizes("kmeans_plus_plus", n, d, k);
  Generator gen(seed);
  std::vector<int64_t> chosen{static_cast<int64_t>(gen.below(static_cast<uint64_t>(n)))};
  std::vector<double> d2(n);
  const float* c0 = x + chosen[0] * d;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) d2[i] = squared_distance(x + i * d, c0, d);
  while (static_cast<int64_t>(chosen.size()) < k) {
    const double total = std::accumulate(d2.begin(), d2.end(), 0.0);
    int64_t next = n - 1;
    if (total > 0) {
      // The first row whose running sum of d2 exceeds u * total (rows already chosen have
      // d2 = 0 and are never picked).
      const double target = gen.uniform() * total;
      double run = 0;
      for (int64_t i = 0; i < n; ++i) {
        run += d2[i];
        if (run > target && d2[i] > 0) {
          next = i;
          break;
        }
      }
      while (d2[next] == 0) --next;  // rounding ran past the end: the last row with d2 > 0
    } else {
      next = static_cast<int64_t>(gen.below(static_cast<uint64_t>(n)));  // all rows coincide
    }
    chosen.push_back(next);
    const float* c = x + next * d;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) d2[i] = std::min(d2[i], squared_distance(x + i * d, c, d));
  }
  return chosen;
}

KMeansResult kmeans(const float* x, int64_t n, int64_t d, const KMeansOptions& opt) {
  const int64_t k = opt.k;
  check_sizes("kmeans", n, d, k);
  if (opt.max_iter < 0 || !(opt.tol >= 0))
    throw std::invalid_argument("kmeans: max_iter and tol must be >= 0");
  KMeansResult r;
  r.k = k, r.d = d;
  r.centroids.resize(k * d);
  for (int64_t j = 0; const int64_t i : kmeans_plus_plus(x, n, d, k, opt.seed))
    std::copy(x + i * d, x + (i + 1) * d, r.centroids.begin() + (j++) * d);
  r.assign.assign(n, -1);
  std::vector<int64_t> prev;
  std::vector<float> dist2(n);
  std::vector<double> per_point(n);
  for (int it = 0;; ++it) {
    prev.swap(r.assign);
    r.assign.resize(n);
    kernels::cpu::kmeans_assign(x, n, d, r.centroids.data(), k, r.assign.data(), dist2.data());
    r.inertia = inertia_of(x, n, d, r.centroids, r.assign, per_point);
    r.inertia_history.push_back(r.inertia);
    if (it > 0) {
      const double before = r.inertia_history[it - 1];
      if (r.assign == prev || before - r.inertia <= opt.tol * before) {
        r.converged = true;
        break;
      }
    }
    if (it == opt.max_iter) break;
    std::vector<int64_t> empty = update_centroids(x, n, d, k, r.assign, r.centroids);
    if (!empty.empty()) {
      // Relocate each empty cluster to one of the points farthest from their centroid
      // (distinct points, ties by index): the next assignment can only lower the inertia.
      std::vector<int64_t> far(n);
      std::iota(far.begin(), far.end(), 0);
      const size_t m = std::min(empty.size(), far.size());
      std::partial_sort(far.begin(), far.begin() + m, far.end(), [&](int64_t a, int64_t b) {
        return per_point[a] != per_point[b] ? per_point[a] > per_point[b] : a < b;
      });
      for (size_t e = 0; e < m; ++e)
        std::copy(x + far[e] * d, x + (far[e] + 1) * d, r.centroids.begin() + empty[e] * d);
      r.relocations += static_cast<int64_t>(m);
    }
    r.iterations = it + 1;
  }
  return r;
}

}  // namespace he::retrieval
