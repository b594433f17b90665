#include "auth/auth_file_text.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace cairn::auth {

std::variant<std::string, AuthFileError> read_auth_file(const std::string& path) {
  // stdio rather than iostreams, as config::load_config_file: a failed read
  // (a directory, an I/O error) is an error code here, not an exception.
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                             &std::fclose);
  if (!file) return AuthFileError{0, path + ": cannot open: " + std::strerror(errno)};
  std::string text;
  std::array<char, 64 * 1024> buffer;
  std::size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) {
    text.append(buffer.data(), got);
  }
  if (std::ferror(file.get())) {
    return AuthFileError{0, path + ": cannot read: " + std::strerror(errno)};
  }
  return text;
}

}  // namespace cairn::auth
