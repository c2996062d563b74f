#pragma once
// What a run writes besides its checkpoint: metrics.json, the codes and labels as .npy,
// loss.svg and pr.svg.
#include <string>
#include <vector>

#include "retrieval/codes.h"
#include "retrieval/metrics.h"

namespace he::zoo {

struct RunInfo {
  std::string model;
  int64_t bits = 0, epochs = 0;
  double train_images_per_s = 0, seconds = 0;
  bool quick = false;
  std::string data = "fashion-mnist", data_protocol;  // --data and --protocol
};

// metrics.json: map@1000, map@all, p@1000, p@r2 (keys follow the evaluation's k), bits,
// model, epochs, train_images_per_s, seconds, r@k, queries, database, data, protocol (FM or
// FM-quick for Fashion-MNIST, else --protocol or "default", "-quick" added), and (when known)
// bit_balance_min / bit_balance_max / bit_balance (fraction of +1 per database bit).
std::string metrics_json(const retrieval::EvalResult& r, const RunInfo& info,
                         const std::vector<double>& bit_balance = {});
void write_text_atomic(const std::string& path, const std::string& text);
// Packed codes in numpy.packbits layout (N, bits/8) u8; labels (N) i64.
void write_codes_npy(const std::string& path, const retrieval::PackedCodes& codes);
void write_labels_npy(const std::string& path, const std::vector<int64_t>& labels);
// Multi-hot labels (N, classes) u8.
void write_multi_hot_npy(const std::string& path, const std::vector<uint8_t>& multi_hot,
                         int64_t classes);
// A line plot of ys against xs (an SVG document).
std::string line_plot_svg(const std::vector<double>& xs, const std::vector<double>& ys,
                          const std::string& title, const std::string& xlabel,
                          const std::string& ylabel);

struct PlotSeries {
  std::string name;
  std::vector<double> ys;
};
// loss.svg: one panel per series (each with its own y axis: an actor's reconstruction loss and
// a critic's adversarial loss differ by orders of magnitude), stacked, against xs.
std::string loss_plot_svg(const std::vector<double>& xs, const std::vector<PlotSeries>& series,
                          const std::string& title);

}  // namespace he::zoo
