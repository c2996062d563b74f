#include "engine/data/image_list.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>

namespace he::data {
namespace fs = std::filesystem;

ImageList list_image_folder(const std::string& root) {
  if (!fs::is_directory(root)) throw std::runtime_error(fmt::format("{}: not a directory", root));
  ImageList list;
  for (const fs::directory_entry& e : fs::directory_iterator(root))
    if (e.is_directory()) list.class_names.push_back(e.path().filename().string());
  std::sort(list.class_names.begin(), list.class_names.end());
  if (list.class_names.empty())
    throw std::runtime_error(fmt::format("{}: no class sub-folder", root));
  list.num_classes = static_cast<int64_t>(list.class_names.size());
  for (int64_t k = 0; k < list.num_classes; ++k) {
    std::vector<std::string> files;
    for (const fs::directory_entry& e :
         fs::directory_iterator(fs::path(root) / list.class_names[k]))
      if (e.is_regular_file()) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    if (files.empty())
      throw std::runtime_error(
          fmt::format("{}: class folder '{}' has no images", root, list.class_names[k]));
    for (std::string& f : files) {
      list.paths.push_back(std::move(f));
      list.labels.push_back(k);
    }
  }
  return list;
}

ImageList parse_list(const std::string& text, const std::string& list_path, const std::string& root,
                     int64_t num_classes) {
  std::istringstream in(text);
  ImageList list;
  list.num_classes = num_classes;
  list.source = list_path;
  std::unordered_map<std::string, int64_t> first_line;  // path -> the line that lists it
  std::string line;
  for (int64_t line_no = 1; std::getline(in, line); ++line_no) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream fields(line);
    std::string path;
    if (!(fields >> path)) continue;  // blank line
    std::vector<uint8_t> row;
    std::string tok;
    while (fields >> tok) {
      if (tok != "0" && tok != "1")
        throw std::runtime_error(
            fmt::format("{}:{}: label '{}' is not 0 or 1", list_path, line_no, tok));
      row.push_back(tok == "1");
    }
    if (list.num_classes == 0) {
      if (row.empty())
        throw std::runtime_error(
            fmt::format("{}:{}: no labels after the path", list_path, line_no));
      list.num_classes = static_cast<int64_t>(row.size());
    }
    if (static_cast<int64_t>(row.size()) != list.num_classes)
      throw std::runtime_error(fmt::format("{}:{}: {} labels, expected {}", list_path, line_no,
                                           row.size(), list.num_classes));
    std::string full = (fs::path(root) / path).lexically_normal().string();
    if (auto [at, fresh] = first_line.emplace(full, line_no); !fresh)
      throw std::runtime_error(fmt::format("{}:{}: {} is already listed on line {}", list_path,
                                           line_no, path, at->second));
    list.paths.push_back(std::move(full));
    list.lines.push_back(line_no);
    list.multi_hot.insert(list.multi_hot.end(), row.begin(), row.end());
  }
  return list;
}

ImageList read_list_file(const std::string& list_path, const std::string& root,
                         int64_t num_classes) {
  std::ifstream in(list_path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open list file", list_path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::runtime_error(fmt::format("{}: read error", list_path));
  return parse_list(text.str(), list_path, root, num_classes);
}

}  // namespace he::data
