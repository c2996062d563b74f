// Recurrent hashing after HRNH (Lu, Chen & Li, 'Hierarchical Recurrent Neural Hashing for
// Image Retrieval With Hierarchical Convolutional Features', TIP 2017; the survey's section
// V-F, [140]): a recurrent network reads the regions of a convolutional feature map as a
// sequence, so the code carries their spatial context. Here the small CNN's (N,64,7,7) map
// gives 7 regions, its rows (64 x 7 = 448 values each), read top to bottom by a one-layer
// LSTM (hidden 128); its last hidden state feeds the hash layer (Linear 128 -> bits). Rows
// rather than the 49 positions: 7 steps of larger matrix products instead of 49 small ones
// (10 training steps on FM-quick: 6.2 s against 9.3 s of CPU time, other work included). Loss:
// HashNet's (continuation tanh(beta u), beta = (1 + 0.005 iter)^0.5, weighted pairwise likelihood
// on 0.1 <h_i, h_j>).
#include <cmath>
#include <stdexcept>

#include "zoo/models/models.h"

namespace he::zoo {

namespace {
constexpr int64_t kHidden = 128;

class RecurrentHash : public CnnHashModel {
 public:
  explicit RecurrentHash(const ModelConfig& c) : CnnHashModel(c) {
    small_ = dynamic_cast<SmallCNN*>(net.get());
    if (!small_)
      throw std::invalid_argument("rnnhash: needs the small CNN backbone, not '" + c.backbone +
                                  "' (the LSTM reads its feature map's rows)");
    Generator init(c.seed + 2);
    const int64_t side = c.image_size / 4;  // the small CNN's map is (64, side, side)
    lstm = register_module("lstm", std::make_shared<nn::LSTM>(64 * side, kHidden, init, 1, true));
    hash = register_module("hash", std::make_shared<nn::Linear>(kHidden, c.bits, init));
  }
  Tensor encode(const Tensor& x) override {
    Tensor map = small_->features->forward(x);  // (N,64,7,7)
    // (N,64,row,col) -> (N,row,64*col): one step per row.
    Tensor regions = map.permute({0, 2, 1, 3}).flatten(2).contiguous();
    nn::RecurrentOut r = lstm->run(regions);
    return hash->forward(r.h_n.select(0, 0));  // (N,bits)
  }
  Tensor loss(const TrainBatch& b, int64_t iter) override {
    beta_ = std::sqrt(1.0 + 0.005 * static_cast<double>(iter));
    Tensor h = continuation(b.all_rows(encode(b.images)), beta_);
    return losses::hashnet(h, losses::similarity(b.all_rows(b.labels)), 0.1);
  }
  bool gathers_rows() const override { return true; }
  std::map<std::string, double> log_values() const override { return {{"beta", beta_}}; }
  std::shared_ptr<nn::LSTM> lstm;
  std::shared_ptr<nn::Linear> hash;

 private:
  SmallCNN* small_;
  double beta_ = 1;
};
}  // namespace

extern const ModelEntry rnnhash_model{
    .name = "rnnhash",
    .make = make_model_of<RecurrentHash>,
    .summary =
        "Recurrent hashing (after HRNH, Lu 2017): an LSTM reads the rows of the small CNN's "
        "feature "
        "map as a sequence of regions, its last state feeds the hash layer; HashNet's pairwise "
        "loss"};

}  // namespace he::zoo
