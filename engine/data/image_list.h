#pragma once
// Which image files make a data set, with their labels: a folder with one sub-folder per
// class, or a list file in the DeepHash tool-kit layout.
#include <cstdint>
#include <string>
#include <vector>

namespace he::data {

// paths[i] is the file to decode for image i. Single-label lists fill labels (class ids);
// multi-label lists fill multi_hot (n x num_classes, 0/1).
struct ImageList {
  std::vector<std::string> paths;
  std::vector<int64_t> labels;
  std::vector<uint8_t> multi_hot;
  int64_t num_classes = 0;
  std::vector<std::string> class_names;  // folder names, for list_image_folder
  // read_list_file: the list file and the line of each path, for errors (empty otherwise).
  std::string source;
  std::vector<int64_t> lines;
  int64_t size() const { return static_cast<int64_t>(paths.size()); }
};

// root/<class>/<image>: classes are the sub-folders sorted by name (label = rank), images
// the regular files in each, sorted by name. Throws if root is not a directory, has no
// class folder or has a class folder with no file.
ImageList list_image_folder(const std::string& root);

// One line per image: `relative/path.jpg l_1 ... l_C` with l_j in {0, 1}, the path relative
// to `root`. Blank lines are skipped. C is num_classes when > 0, else the label count of
// the first line; a line with another count, a label other than 0/1, no path or a path
// already listed throws naming the file and line. A path is relative to `root` unless
// absolute.
ImageList read_list_file(const std::string& list_path, const std::string& root,
                         int64_t num_classes = 0);
// The same from the list's text (the in-memory half and the fuzzing entry point).
ImageList parse_list(const std::string& text, const std::string& list_path, const std::string& root,
                     int64_t num_classes = 0);

}  // namespace he::data
