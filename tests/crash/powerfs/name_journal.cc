#include "name_journal.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace powerfs {
namespace {

// As powerfs.cc's Rel(): "." is the root.
std::string ParentOf(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

// An undo that fails leaves the filesystem in a state no disk would: say so
// loudly, the harness then finds the damage.
void Check(int rc, const char* what, const std::string& path) {
  if (rc != 0) {
    std::fprintf(stderr, "powerfs: cannot undo %s of %s: %s\n", what, path.c_str(),
                 std::strerror(errno));
  }
}

}  // namespace

NameJournal::NameJournal(int backing, std::string backing_path)
    : backing_(backing), backing_path_(std::move(backing_path)) {}

int NameJournal::Start() {
  std::error_code ec;
  std::filesystem::remove_all(std::filesystem::path(backing_path_) / kStash, ec);
  if (ec) return -ec.value();
  return ::mkdirat(backing_, std::string(kStash).c_str(), 0700) == 0 ? 0 : -errno;
}

void NameJournal::Created(const std::string& path) {
  changes_.push_back({Change::Kind::kCreated, path, {}, {}});
}

int NameJournal::MakeDir(const std::string& path, unsigned mode) {
  if (::mkdirat(backing_, path.c_str(), static_cast<mode_t>(mode)) != 0) return -errno;
  changes_.push_back({Change::Kind::kMadeDir, path, {}, {}});
  return 0;
}

int NameJournal::RemoveDir(const std::string& path) {
  if (::unlinkat(backing_, path.c_str(), AT_REMOVEDIR) != 0) return -errno;
  changes_.push_back({Change::Kind::kRemovedDir, path, {}, {}});
  return 0;
}

int NameJournal::Unlink(const std::string& path) {
  struct stat st {};
  if (::fstatat(backing_, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return -errno;
  if (S_ISDIR(st.st_mode)) return -EISDIR;
  int error = 0;
  std::string kept = Stash(path, &error);
  if (kept.empty()) return error;
  changes_.push_back({Change::Kind::kUnlinked, path, {}, std::move(kept)});
  return 0;
}

int NameJournal::Rename(const std::string& from, const std::string& to) {
  struct stat st {};
  if (::fstatat(backing_, from.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return -errno;
  std::string kept;
  if (::fstatat(backing_, to.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    int error = 0;
    kept = Stash(to, &error);
    if (kept.empty()) return error;
  }
  if (::renameat(backing_, from.c_str(), backing_, to.c_str()) != 0) {
    const int error = errno;
    if (!kept.empty()) ::renameat(backing_, kept.c_str(), backing_, to.c_str());
    return -error;
  }
  changes_.push_back({Change::Kind::kRenamed, to, from, std::move(kept)});
  return 0;
}

void NameJournal::DirectorySynced(const std::string& directory) {
  // A rename across directories would need both synced; LevelDB renames
  // within one, and the new name's directory decides here.
  auto durable = [&](const Change& c) { return ParentOf(c.path) == directory; };
  for (const Change& change : changes_) {
    if (durable(change)) Drop(change);
  }
  std::erase_if(changes_, durable);
}

std::size_t NameJournal::Undo() {
  const std::size_t undone = changes_.size();
  for (auto it = changes_.rbegin(); it != changes_.rend(); ++it) UndoOne(*it);
  changes_.clear();
  return undone;
}

std::string NameJournal::Stash(const std::string& path, int* error) {
  std::string kept = std::string(kStash) + "/" + std::to_string(++stashed_);
  if (::renameat(backing_, path.c_str(), backing_, kept.c_str()) != 0) {
    *error = -errno;
    return {};
  }
  return kept;
}

// A change made durable: what it destroyed is gone for good.
void NameJournal::Drop(const Change& change) {
  if (change.kept.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(std::filesystem::path(backing_path_) / change.kept, ec);
}

void NameJournal::UndoOne(const Change& change) {
  switch (change.kind) {
    case Change::Kind::kCreated:
      Check(::unlinkat(backing_, change.path.c_str(), 0), "the creation", change.path);
      return;
    case Change::Kind::kMadeDir: {
      // Whatever was made in it since goes with it, synced or not: its name
      // was never durable.
      std::error_code ec;
      std::filesystem::remove_all(std::filesystem::path(backing_path_) / change.path, ec);
      if (ec) std::fprintf(stderr, "powerfs: cannot undo mkdir %s\n", change.path.c_str());
      return;
    }
    case Change::Kind::kRemovedDir:
      Check(::mkdirat(backing_, change.path.c_str(), 0755), "the rmdir", change.path);
      return;
    case Change::Kind::kRenamed:
      Check(::renameat(backing_, change.path.c_str(), backing_, change.from.c_str()), "the rename",
            change.path);
      break;
    case Change::Kind::kUnlinked:
      break;
  }
  if (!change.kept.empty()) {
    Check(::renameat(backing_, change.kept.c_str(), backing_, change.path.c_str()), "the removal",
          change.path);
  }
}

}  // namespace powerfs
