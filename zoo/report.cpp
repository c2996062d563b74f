#include "zoo/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "retrieval/file_util.h"
#include "retrieval/npy.h"

namespace he::zoo {

std::string metrics_json(const retrieval::EvalResult& r, const RunInfo& info,
                         const std::vector<double>& bit_balance) {
  nlohmann::ordered_json j;
  j["model"] = info.model;
  j["bits"] = info.bits;
  j["epochs"] = info.epochs;
  j[fmt::format("map@{}", r.k)] = r.map_k;
  j["map@all"] = r.map_all;
  j[fmt::format("p@{}", r.k)] = r.p_k;
  j[fmt::format("r@{}", r.k)] = r.r_k;
  j["p@r2"] = r.p_r2;
  j["train_images_per_s"] = info.train_images_per_s;
  j["seconds"] = info.seconds;
  j["queries"] = r.queries;
  j["database"] = r.database;
  j["data"] = info.data;
  if (info.data == "fashion-mnist")
    j["protocol"] = info.quick ? "FM-quick" : "FM";
  else
    j["protocol"] = (info.data_protocol.empty() ? "default" : info.data_protocol) +
                    (info.quick ? "-quick" : "");
  if (!bit_balance.empty()) {
    j["bit_balance_min"] = *std::min_element(bit_balance.begin(), bit_balance.end());
    j["bit_balance_max"] = *std::max_element(bit_balance.begin(), bit_balance.end());
    j["bit_balance"] = bit_balance;
  }
  return j.dump(2) + "\n";
}

void write_text_atomic(const std::string& path, const std::string& text) {
  retrieval::write_file_atomic(path, {text.data()}, {text.size()});
}

void write_codes_npy(const std::string& path, const retrieval::PackedCodes& codes) {
  std::vector<uint8_t> bytes = retrieval::to_bytes(codes);
  const int64_t n = static_cast<int64_t>(codes.size()), w = (codes.bits() + 7) / 8;
  retrieval::write_npy(path, retrieval::npy_from({n, w}, bytes.data()));
}

void write_labels_npy(const std::string& path, const std::vector<int64_t>& labels) {
  retrieval::write_npy(path,
                       retrieval::npy_from({static_cast<int64_t>(labels.size())}, labels.data()));
}

void write_multi_hot_npy(const std::string& path, const std::vector<uint8_t>& multi_hot,
                         int64_t classes) {
  const int64_t n = classes > 0 ? static_cast<int64_t>(multi_hot.size()) / classes : 0;
  retrieval::write_npy(path, retrieval::npy_from({n, classes}, multi_hot.data()));
}

std::string line_plot_svg(const std::vector<double>& xs, const std::vector<double>& ys,
                          const std::string& title, const std::string& xlabel,
                          const std::string& ylabel) {
  const double W = 640, H = 400, L = 70, R = 20, T = 40, B = 50;
  double x0 = xs.empty() ? 0 : *std::min_element(xs.begin(), xs.end());
  double x1 = xs.empty() ? 1 : *std::max_element(xs.begin(), xs.end());
  double y0 = 0, y1 = 0;
  bool first = true;
  for (double y : ys)
    if (std::isfinite(y))
      y0 = first ? y : std::min(y0, y), y1 = first ? y : std::max(y1, y), first = false;
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) y1 = y0 + 1;
  auto px = [&](double x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
  auto py = [&](double y) { return H - B - (y - y0) / (y1 - y0) * (H - T - B); };
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">{}</text>\n",
      W, H, W / 2, title);
  s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n", L, H - B,
                   W - R, H - B);
  s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n", L, T, L,
                   H - B);
  for (int i = 0; i <= 4; ++i) {
    double xv = x0 + (x1 - x0) * i / 4, yv = y0 + (y1 - y0) * i / 4;
    s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{:.4g}</text>\n", px(xv),
                     H - B + 18, xv);
    s += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{:.4g}</text>\n", L - 6,
                     py(yv) + 4, yv);
  }
  s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", (L + W - R) / 2,
                   H - 12, xlabel);
  s += fmt::format(
      "<text x=\"16\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {})\">{}</text>\n",
      (T + H - B) / 2, (T + H - B) / 2, ylabel);
  s += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"";
  // At most ~2000 points: long loss curves are thinned, not averaged, so spikes stay visible.
  const size_t step = std::max<size_t>(1, xs.size() / 2000);
  for (size_t i = 0; i < xs.size() && i < ys.size(); i += step)
    if (std::isfinite(ys[i])) s += fmt::format("{:.1f},{:.1f} ", px(xs[i]), py(ys[i]));
  s += "\"/>\n</svg>\n";
  return s;
}

std::string loss_plot_svg(const std::vector<double>& xs, const std::vector<PlotSeries>& series,
                          const std::string& title) {
  auto panel = [&](const PlotSeries& p) {
    return line_plot_svg(xs, p.ys, fmt::format("{}: training {}", title, p.name), "iteration",
                         p.name);
  };
  if (series.size() == 1) return panel(series[0]);
  const int H = 400;  // line_plot_svg's height
  std::string s =
      fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"{}\">\n",
                  H * static_cast<int>(series.size()));
  for (size_t i = 0; i < series.size(); ++i) {
    std::string inner = panel(series[i]);
    inner.replace(0, 4, fmt::format("<svg y=\"{}\"", H * static_cast<int>(i)));  // "<svg"
    s += inner;
  }
  return s + "</svg>\n";
}

}  // namespace he::zoo
