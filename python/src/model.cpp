// hashengine.Model: a zoo checkpoint rebuilt as the zoo's `eval` subcommand rebuilds it
// (zoo/trainer.cpp, evaluate_checkpoint), encoding uint8 images to codes.
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>

#include <memory>
#include <stdexcept>

#include "arrays.h"
#include "engine/data/datasets.h"
#include "engine/engine.h"
#include "engine/io/safetensors.h"
#include "zoo/checkpoint.h"
#include "zoo/dataset.h"
#include "zoo/encode.h"
#include "zoo/trainer.h"

namespace he::python {

namespace {

// Sets the engine's thread count for one call, then puts it back.
struct ThreadScope {
  explicit ThreadScope(int n) : before(num_threads()) {
    if (n > 0) set_num_threads(n);
  }
  ~ThreadScope() { set_num_threads(before); }
  int before;
};

class Model {
 public:
  static std::unique_ptr<Model> load(const std::string& path) {
    SafetensorsFile file = load_safetensors(path);
    auto it = file.metadata.find("options");
    if (it == file.metadata.end())
      throw std::runtime_error(path + ": not a zoo checkpoint (no 'options' metadata)");
    auto m = std::unique_ptr<Model>(new Model);
    m->opt_ = zoo::options_from_json(it->second);
    // The data the run recorded decides the model's shapes and the pixels' normalisation.
    const data::LoadedData d = zoo::load_run_data(m->opt_);
    const data::ImageSet& train = d.split.train;
    m->c_ = train.c, m->h_ = train.h, m->w_ = train.w;
    m->mean_ = train.mean, m->std_ = train.std;
    m->model_ = zoo::make_model(m->opt_.model, zoo::model_config(m->opt_, d.split));
    zoo::load_checkpoint(file, *m->model_, nullptr);
    m->model_->eval();
    return m;
  }

  // images:(N,C,H,W) or (N,H,W) uint8 pixels -> codes uint8 (N, ceil(bits/8)), or the
  // real-valued u (N,bits) float32 with packed=False.
  nb::object encode(const InArray& images, bool packed, int64_t batch, int threads) {
    const bool nchw = images.ndim() == 4 && static_cast<int64_t>(images.shape(1)) == c_;
    const bool nhw = images.ndim() == 3 && c_ == 1;
    const size_t hw = nchw ? 2 : 1;
    if (!has_dtype<uint8_t>(images) || !(nchw || nhw) ||
        static_cast<int64_t>(images.shape(hw)) != h_ ||
        static_cast<int64_t>(images.shape(hw + 1)) != w_)
      throw std::invalid_argument(
          "Model.encode: the " + opt_.model + " checkpoint takes uint8 images (N, " +
          std::to_string(c_) + ", " + std::to_string(h_) + ", " + std::to_string(w_) + ")" +
          (c_ == 1 ? " or (N, " + std::to_string(h_) + ", " + std::to_string(w_) + ")" : "") +
          ", got " + describe(images));
    if (batch < 1) throw std::invalid_argument("Model.encode: batch must be >= 1");
    data::ImageSet set;
    set.n = static_cast<int64_t>(images.shape(0)), set.c = c_, set.h = h_, set.w = w_;
    const auto* px = static_cast<const uint8_t*>(images.data());
    set.pixels.assign(px, px + images.size());
    set.mean = mean_, set.std = std_;
    ThreadScope scope(threads);
    Tensor u = zoo::encode_set(*model_, set, batch);
    if (packed) return codes_to_array(zoo::pack(u));
    return to_numpy(u.contiguous().to_vector<float>(),
                    {static_cast<size_t>(u.size(0)), static_cast<size_t>(u.size(1))});
  }

  // Asymmetric models (ADSH) learn the database codes directly: those, packed; else None.
  nb::object database_codes() const {
    std::optional<Tensor> u = model_->database_codes();
    if (!u) return nb::none();
    return codes_to_array(zoo::pack(*u));
  }

  std::string name() const { return opt_.model; }
  int64_t bits() const { return opt_.bits; }
  nb::tuple image_shape() const { return nb::make_tuple(c_, h_, w_); }

 private:
  Model() = default;
  zoo::TrainOptions opt_;
  std::shared_ptr<zoo::HashModel> model_;
  std::vector<float> mean_, std_;  // the training set's per-channel normalisation
  int64_t c_ = 0, h_ = 0, w_ = 0;
};

}  // namespace

void bind_model(nb::module_& m) {
  nb::class_<Model>(m, "Model",
                    "A trained zoo model (hashnet, dpsh, tbh, ...) from its checkpoint.")
      .def_static("load", &Model::load, nb::arg("checkpoint"),
                  "Rebuilds the model of a zoo run's checkpoint.safetensors. Reads the training "
                  "split the run used (protocol FM), whose size fixes the model's shapes.")
      .def_prop_ro("name", &Model::name)
      .def_prop_ro("bits", &Model::bits)
      .def_prop_ro("image_shape", &Model::image_shape, "(C, H, W) of the images it encodes")
      .def("encode", &Model::encode, nb::arg("images"), nb::arg("packed") = true,
           nb::arg("batch") = 1000, nb::arg("threads") = 0,
           "uint8 images (N, C, H, W) or (N, H, W), pixels 0..255 as the zoo reads them -> "
           "packed codes uint8 (N, ceil(bits/8)), sign(u) with sign(0) = +1; packed=False: "
           "u itself, float32 (N, bits). threads: 0 = unchanged.")
      .def("database_codes", &Model::database_codes,
           "The database codes an asymmetric model (adsh) learned, packed; None for others.");
}

}  // namespace he::python
