#pragma once
// The differentiable ops. Each family is implemented in one file of engine/ops/ (forward =
// a call into kernels/, backward = other ops), as named in the section headers below.
#include <functional>
#include <optional>
#include <vector>

#include "engine/autograd.h"
#include "engine/tensor.h"

namespace he {

// ---- elementwise (engine/ops/elementwise.cpp); binary ops broadcast like NumPy ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);  // ties send half the gradient each way
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);  // a > 0 where b needs a gradient
Tensor add(const Tensor& a, double b);
Tensor sub(const Tensor& a, double b);
Tensor rsub(double a, const Tensor& b);  // a - b
Tensor mul(const Tensor& a, double b);
Tensor div(const Tensor& a, double b);
Tensor rdiv(double a, const Tensor& b);  // a / b
Tensor pow(const Tensor& a, double exponent);
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double slope = 0.01);
Tensor elu(const Tensor& x, double alpha = 1.0);
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
Tensor clamp(const Tensor& x, double lo, double hi);
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);  // cond: u8
Tensor sign(const Tensor& x);  // -1, 0, +1 (NumPy's rule); no gradient
// Comparisons give u8 (0/1) and no gradient.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, double b);
Tensor lt(const Tensor& a, double b);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& x) { return neg(x); }
inline Tensor operator+(const Tensor& a, double b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, double b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, double b) { return div(a, b); }
inline Tensor operator+(double a, const Tensor& b) { return add(b, a); }
inline Tensor operator-(double a, const Tensor& b) { return rsub(a, b); }
inline Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
inline Tensor operator/(double a, const Tensor& b) { return rdiv(a, b); }

// ---- reductions (engine/ops/reduce.cpp); dims empty = all dims ----
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor amax(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);  // i64, first on ties
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim = false);
// Population variance by default; unbiased = divide by n - 1.
Tensor var(const Tensor& x, const std::vector<int64_t>& dims = {}, bool unbiased = false,
           bool keepdim = false);
Tensor logsumexp(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor norm(const Tensor& x, double p = 2, const std::vector<int64_t>& dims = {},
            bool keepdim = false);

// ---- linear algebra (engine/ops/matmul.cpp), OpenBLAS sgemm/dgemm ----
// (..., M, K) @ (..., K, N) with broadcast batch dims; 1-D operands as in NumPy.
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor outer(const Tensor& a, const Tensor& b);
// x (..., in) @ w(out, in)^T + b (out, optional): a fully connected layer as one op, so the
// weight gradient g^T x is built directly in w's layout (no transposed view to copy) and the
// bias gradient needs no broadcast undo.
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b = Tensor());

// ---- dense linear algebra (engine/ops/linalg.cpp): LAPACK in double precision, no gradient ----
// Computed on the host: a CUDA input is copied to the host and the results back to its
// device. Inputs may be f32 or f64; results are f64.
// a:(n,n) symmetric -> values (n) ascending, vectors (n,n) with the eigenvectors as COLUMNS.
struct SymmetricEigen {
  Tensor values, vectors;
};
SymmetricEigen symmetric_eigen(const Tensor& a);
// a:(m,n) = u (m,k) diag(s) vt (k,n), k = min(m,n): the thin SVD, s descending.
struct Svd {
  Tensor u, s, vt;
};
Svd svd(const Tensor& a);
// a:(n,n) symmetric positive definite, b:(n,r) -> x:(n,r) with a x = b (Cholesky).
Tensor solve_spd(const Tensor& a, const Tensor& b);

// ---- shape and index ops (engine/ops/shape.cpp, engine/ops/index.cpp) ----
Tensor concat(const std::vector<Tensor>& xs, int64_t dim);
Tensor stack(const std::vector<Tensor>& xs, int64_t dim);
std::vector<Tensor> split(const Tensor& x, int64_t chunk, int64_t dim);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);  // index: i64 1-D
// out[.., i, ..] = x[.., index[.., i, ..], ..] along dim; index has x's shape but on dim.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
// x with src added at index along dim (x's copy; index has src's shape).
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);  // mask: u8
Tensor one_hot(const Tensor& labels, int64_t num_classes, DType dt = DType::f32);

// ---- softmax family (engine/ops/softmax.cpp) ----
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

// ---- nearest centroid (engine/ops/linalg.cpp); no gradient ----
struct KMeansAssignment {
  Tensor assign;  // (n) i64, ties to the lowest centroid index
  Tensor dist2;   // (n) f32, squared distance to that centroid
};
// x:(n,d) f32, centroids:(k,d) f32, on one device.
KMeansAssignment kmeans_assign(const Tensor& x, const Tensor& centroids);

}  // namespace he

namespace he {

// ---- convolution (engine/ops/conv.cpp): im2col + OpenBLAS GEMM on the CPU ----
struct Conv2dOptions {
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dil_h = 1, dil_w = 1, groups = 1;
  int64_t out_pad_h = 0, out_pad_w = 0;  // transposed convolution only
};
// x:(N,C,H,W), w:(O,C/groups,KH,KW), b:(O) or undefined -> (N,O,OH,OW)
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& o = {});
// x:(N,C,H,W), w:(C,O/groups,KH,KW), b:(O) or undefined -> (N,O,OH,OW),
// OH = (H-1)*stride - 2*pad + dil*(KH-1) + out_pad + 1: the gradient of conv2d w.r.t. its input.
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b,
                        const Conv2dOptions& o = {});

// ---- pooling (engine/ops/pool.cpp), x:(N,C,H,W) ----
Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride = 0, int64_t pad = 0);
Tensor avg_pool2d(const Tensor& x, int64_t kernel, int64_t stride = 0, int64_t pad = 0);
Tensor adaptive_avg_pool2d(const Tensor& x, int64_t out_h, int64_t out_w);

// ---- dropout (engine/ops/dropout.cpp): zeroes with probability p, scales the rest by 1/(1-p) ----
class Generator;
Tensor dropout(const Tensor& x, double p, Generator& gen);
// x:(rows,...) holds rows [row_begin, row_begin + rows) of a (total_rows,...) input: those rows
// get the mask dropout(input, p, gen) would give them, and gen advances as by that call (the
// ranks of a data-parallel job each drop out their block of one global batch).
Tensor dropout_rows(const Tensor& x, double p, Generator& gen, int64_t row_begin,
                    int64_t total_rows);

}  // namespace he

namespace he {

// ---- hashing ops (engine/ops/hash.cpp), fused kernels of kernels/hash.h ----
enum class SteGrad : uint8_t { Identity, Clipped };  // GreedyHash's identity, or 1[|h| <= 1]
// h:(N,bits) f32/f64 -> b = sign(h) (N,bits) in {-1,+1}, sign(0) = +1; the gradient goes
// straight through to h (identity, or masked to |h| <= 1).
Tensor sign_ste(const Tensor& h, SteGrad grad = SteGrad::Identity);
// h:(N,bits) -> (N, ceil(bits/64)) u64 codes of sign(h), bit j in word j/64 bit j%64 (the
// layout of retrieval::PackedCodes); no gradient.
Tensor packed_signs(const Tensor& h);
// h:(N,bits) -> scalar mean((h - sign(h))^2), differentiable w.r.t. h (2 (h - b) / count).
Tensor quant_error(const Tensor& h);
// y = tanh(beta * x), forward and backward fused (HashNet's continuation).
Tensor continuation(const Tensor& x, double beta);

}  // namespace he

namespace he {

// ---- normalisation (engine/ops/norm.cpp) ----
// Training-mode batch norm over x:(N,C,...) with per-channel weight/bias (C) or undefined;
// returns y and writes the batch mean and biased variance (C) for the running statistics.
struct BatchNormOut {
  Tensor y, mean, var;
};
BatchNormOut batch_norm_train(const Tensor& x, const Tensor& weight, const Tensor& bias,
                              double eps);
// Sync batch norm: training-mode batch norm of x:(rows,C,...), this process's rows of a batch
// of total_rows rows split over processes, with the whole batch's statistics. sum_over_ranks
// replaces a (k) f64 tensor by its element-wise sum over the processes; every process calls
// this op (and its backward) in the same order. Returns y and the whole batch's mean and biased
// variance. Backward: dx from the whole batch's sums; the weight and bias gradients of this
// process's rows only (the caller averages parameter gradients over processes). CPU only.
BatchNormOut batch_norm_train_split(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                    double eps, int64_t total_rows,
                                    const std::function<void(Tensor&)>& sum_over_ranks);
// batch_norm_train of x:(N,C,H,W) followed by max_pool2d(., 2): y is the pooled output, mean
// and var the batch norm's. On the CPU one fused op that never writes the normalised tensor
// (bit for bit the two ops in turn); on CUDA the two ops.
BatchNormOut batch_norm_max_pool2x2_train(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                          double eps);
// Eval-mode batch norm with given statistics (C); differentiable in x, weight and bias.
Tensor batch_norm_eval(const Tensor& x, const Tensor& mean, const Tensor& var, const Tensor& weight,
                       const Tensor& bias, double eps);

}  // namespace he
