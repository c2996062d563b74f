#include "zoo/encode.h"

#include <stdexcept>

#include "engine/data/datasets.h"

namespace he::zoo {

Tensor images_tensor(const data::ImageSet& set, int64_t begin, int64_t count) {
  if (begin < 0 || count < 0 || begin + count > set.n)
    throw std::out_of_range("images_tensor: rows [" + std::to_string(begin) + ", " +
                            std::to_string(begin + count) + ") of a set of " +
                            std::to_string(set.n));
  Tensor t = Tensor::empty({count, set.c, set.h, set.w});
  float* dst = t.data<float>();
  const uint8_t* src = set.image(begin);
  const int64_t plane = set.h * set.w;
  for (int64_t ch = 0; ch < set.c; ++ch) {
    const size_t k = set.mean.size() == 1 ? 0 : static_cast<size_t>(ch);
    const float mean = set.mean.empty() ? data::kFashionMnistMean : set.mean[k];
    const float std = set.std.empty() ? data::kFashionMnistStd : set.std[k];
    const float scale = 1.0f / (255.0f * std), shift = -mean / std;
    for (int64_t i = 0; i < count; ++i) {
      const int64_t at = (i * set.c + ch) * plane;
      for (int64_t j = 0; j < plane; ++j) dst[at + j] = src[at + j] * scale + shift;
    }
  }
  return t;
}

data::ImageSet one_image_set(const uint8_t* pixels, int64_t c, int64_t h, int64_t w) {
  data::ImageSet s;
  s.n = 1, s.c = c, s.h = h, s.w = w;
  s.pixels.assign(pixels, pixels + c * h * w);
  return s;
}

TrainBatch to_train_batch(const data::Batch& b) {
  TrainBatch t;
  t.images = Tensor::from_vector(b.images, {b.b, b.c, b.h, b.w});
  if (!b.multi_hot.empty()) {
    std::vector<float> rows(b.multi_hot.begin(), b.multi_hot.end());
    t.labels = Tensor::from_vector(rows, {b.b, b.num_classes});
  } else {
    t.labels = Tensor::from_vector(b.labels, {static_cast<int64_t>(b.labels.size())});
  }
  t.indices = Tensor::from_vector(b.indices, {static_cast<int64_t>(b.indices.size())});
  return t;
}

Tensor labels_tensor(const data::ImageSet& set) {
  if (set.multi_label()) {
    std::vector<float> rows(set.multi_hot.begin(), set.multi_hot.end());
    return Tensor::from_vector(rows, {set.n, set.num_classes});
  }
  if (set.labels.size() != static_cast<size_t>(set.n))
    throw std::invalid_argument(
        "zoo: the data set has no single-label class ids (multi-label sets need a "
        "multi-label recipe)");
  return Tensor::from_vector(set.labels, {set.n});
}

retrieval::Labels retrieval_labels(const data::ImageSet& set) {
  if (set.multi_label())
    return retrieval::Labels::multi_hot(set.multi_hot.data(), set.n, set.num_classes);
  return retrieval::Labels::single(set.labels);
}

Tensor encode_set(HashModel& model, const data::ImageSet& set, int64_t batch, bool database) {
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard guard;
  std::vector<Tensor> parts;
  for (int64_t at = 0; at < set.n; at += batch) {
    Tensor x = images_tensor(set, at, std::min(batch, set.n - at));
    parts.push_back(database ? model.encode_database(x) : model.encode(x));
  }
  model.train(was_training);
  return concat(parts, 0);
}

std::vector<HeatMap> attention_overlays(HashModel& model, const data::ImageSet& set,
                                        const std::string& model_name) {
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard guard;
  std::optional<Tensor> maps = model.attention_maps(images_tensor(set, 0, set.n));
  model.train(was_training);
  if (!maps)
    throw std::invalid_argument(model_name +
                                " has no spatial attention map to overlay (attnhash has one)");
  Tensor m = maps->contiguous().to(DType::f32);  // (N,1,h,w)
  std::vector<HeatMap> out;
  const int64_t h = m.size(2), w = m.size(3);
  for (int64_t i = 0; i < set.n; ++i) {
    const float* p = m.data<float>() + i * h * w;
    out.push_back({h, w, std::vector<float>(p, p + h * w)});
  }
  return out;
}

retrieval::PackedCodes pack(const Tensor& u) {
  Tensor c = u.contiguous().to(DType::f32);
  return retrieval::pack_signs(c.data<float>(), static_cast<size_t>(c.size(0)),
                               static_cast<int>(c.size(1)));
}

}  // namespace he::zoo
