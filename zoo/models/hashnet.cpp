// HashNet (Cao, Long, Wang, Yu, 'HashNet: Deep Learning to Hash by Continuation', ICCV 2017):
// h = tanh(beta u) with beta = (1 + 0.005 iter)^0.5 raised every step (protocol FM), and
// the weighted pairwise log-likelihood on alpha <h_i, h_j> over in-batch pairs (alpha = 0.1).
#include <cmath>

#include "zoo/models/models.h"

namespace he::zoo {

class HashNet : public CnnHashModel {
 public:
  using CnnHashModel::CnnHashModel;
  Tensor loss(const TrainBatch& b, int64_t iter) override {
    beta_ = std::sqrt(1.0 + 0.005 * static_cast<double>(iter));
    Tensor h = continuation(b.all_rows(net->forward(b.images)), beta_);
    return losses::hashnet(h, losses::similarity(b.all_rows(b.labels)), 0.1);
  }
  bool gathers_rows() const override { return true; }
  std::map<std::string, double> log_values() const override { return {{"beta", beta_}}; }

 private:
  double beta_ = 1;
};

extern const ModelEntry hashnet_model{
    .name = "hashnet",
    .make = make_model_of<HashNet>,
    .summary = "HashNet (Cao 2017): continuation tanh(beta u), weighted pairwise likelihood"};

}  // namespace he::zoo
