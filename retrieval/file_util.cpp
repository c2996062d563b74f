#include "retrieval/file_util.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace he::retrieval {

void write_file_atomic(const std::string& path, const std::vector<const void*>& parts,
                       const std::vector<size_t>& sizes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw std::runtime_error(path + ": cannot create " + tmp + ": " + std::strerror(errno));
  bool ok = true;
  for (size_t i = 0; i < parts.size() && ok; ++i)
    ok = sizes[i] == 0 || std::fwrite(parts[i], 1, sizes[i], f) == sizes[i];
  ok = ok && std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  const int err = errno;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error(path + ": write failed: " + std::strerror(ok ? errno : err));
  }
}

}  // namespace he::retrieval
