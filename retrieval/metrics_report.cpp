// JSON and SVG renderings of an EvalResult (declared in metrics.h).
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "retrieval/metrics.h"

namespace he::retrieval {

std::string eval_json(const EvalResult& r) {
  nlohmann::ordered_json j;
  j["map@k"] = r.map_k;
  j["map@all"] = r.map_all;
  j["p@k"] = r.p_k;
  j["r@k"] = r.r_k;
  j["p@r2"] = r.p_r2;
  j["k"] = r.k;
  j["queries"] = r.queries;
  j["database"] = r.database;
  j["bits"] = r.bits;
  return j.dump();
}

std::string pr_curve_json(const EvalResult& r) {
  nlohmann::ordered_json j;
  std::vector<int> radius(r.pr_precision.size());
  for (size_t i = 0; i < radius.size(); ++i) radius[i] = static_cast<int>(i);
  j["radius"] = radius;
  j["precision"] = r.pr_precision;
  j["recall"] = r.pr_recall;
  return j.dump(2);
}

std::string pr_curve_svg(const EvalResult& r, const std::string& title) {
  const double W = 480, H = 400, L = 60, R = 20, T = 40, B = 50;
  auto px = [&](double x) { return L + x * (W - L - R); };
  auto py = [&](double y) { return H - B - y * (H - T - B); };
  std::string s;
  char buf[256];
  auto add = [&](const char* fmt, auto... a) {
    std::snprintf(buf, sizeof buf, fmt, a...);
    s += buf;
  };
  add("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n",
      W, H);
  add("<rect width=\"%g\" height=\"%g\" fill=\"white\"/>\n", W, H);
  std::string t;  // escape the title for XML
  for (char c : title)
    t += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  s += "<text x=\"" + std::to_string(W / 2) + "\" y=\"22\" text-anchor=\"middle\">" + t +
       "</text>\n";
  for (int i = 0; i <= 10; ++i) {  // grid and tick labels
    double v = i / 10.0;
    add("<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#ddd\"/>\n", px(v), py(0), px(v),
        py(1));
    add("<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#ddd\"/>\n", px(0), py(v), px(1),
        py(v));
    add("<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%.1f</text>\n", px(v), py(0) + 16, v);
    add("<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.1f</text>\n", px(0) - 6, py(v) + 4, v);
  }
  add("<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"black\"/>\n",
      px(0), py(1), px(1) - px(0), py(0) - py(1));
  add("<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">recall</text>\n", px(0.5), H - 12);
  add("<text x=\"16\" y=\"%g\" text-anchor=\"middle\" transform=\"rotate(-90 16 %g)\">precision"
      "</text>\n",
      py(0.5), py(0.5));
  s += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"";
  for (size_t i = 0; i < r.pr_precision.size(); ++i)
    add("%.2f,%.2f ", px(std::clamp(r.pr_recall[i], 0.0, 1.0)),
        py(std::clamp(r.pr_precision[i], 0.0, 1.0)));
  s += "\"/>\n</svg>\n";
  return s;
}

}  // namespace he::retrieval
