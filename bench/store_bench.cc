// Durable-store benchmarks: the LeveldbStore and its GroupCommitter driven as the broker drives
// them (DESIGN.md §4-§5), with synced writes on the real disk. bench/README.md has the list and
// how to read the counters; in short:
//
//   BM_SyncedAppend             4 KiB append + fdatasync, no LevelDB: the disk's yardstick.
//   BM_GroupCommit/<N>          QoS 1 publishes of 64 B, each queued for one of 8 persistent
//                               sessions, at most N batches per commit, the committer never
//                               short of a full group; each delivery acked in a batch of its own
//                               once committed, as Broker::delivery_done does: N/2 publishes
//                               and N/2 acks per commit.
//   BM_GroupCommitAckInPublish/<N>  each ack rides in a later publish batch instead: N messages
//                               per commit, the shape of DESIGN.md §5's table.
//   BM_FanOutCommit/<S>         one message queued for S sessions per batch, acks separate.
//   BM_OpenStore/<Q>/<S>        LeveldbStore::open of Q unacknowledged deliveries across S
//                               sessions (recovery's read cost); BM_OpenStoreLarge (1M) exists
//                               only when the filter names it (--benchmark_filter=Large).
//
// Items/s is syncs/s times the group, and a VM's syncs/s swings tenfold with its neighbours'
// load: compare CPU per item across runs, and read items/s beside commit_us.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <filesystem>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "model/message.h"
#include "storage/batch.h"
#include "storage/group_committer.h"
#include "storage/leveldb_store.h"
#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using cairn::model::QoS;
using cairn::storage::Batch;
using cairn::storage::GroupCommitter;
using cairn::storage::LeveldbStore;

// ---- where the stores live ----------------------------------------------------------------

// The build tree (bench/CMakeLists.txt passes the bench build directory), not /tmp: the build
// tree is on the real disk wherever cairn is built, while /tmp is a tmpfs on many machines, and
// there fdatasync costs nothing and every figure below would flatter the store. (On the 2-core
// development machine both are the same ext4 disk.) CAIRN_BENCH_DIR overrides it.
std::string store_base() {
  if (const char* dir = std::getenv("CAIRN_BENCH_DIR"); dir != nullptr && *dir != '\0') return dir;
  return CAIRN_BENCH_STORE_ROOT;
}

// The one answer that matters is "tmpfs"; anything else is named by its statfs magic.
std::string filesystem_of(const std::string& path) {
  struct statfs s {};
  if (statfs(path.c_str(), &s) != 0) return "unknown";
  const auto type = static_cast<unsigned long>(s.f_type);
  if (type == 0x01021994) return "tmpfs: NOT a disk, syncs are free, every figure flatters";
  if (type == 0xEF53) return "ext4";
  char name[40];
  std::snprintf(name, sizeof name, "statfs f_type 0x%lx", type);
  return name;
}

// Printed in the run's header, so that a quoted figure says what disk it came from.
const bool kContextAdded = [] {
  const std::string base = store_base();
  benchmark::AddCustomContext("store_dir", base);
  benchmark::AddCustomContext("store_fs", filesystem_of(base));
  return true;
}();

// One directory per process under the base, removed at exit, so that concurrent runs (and
// what a crashed one left) never share a store.
const fs::path& scratch_root() {
  static const struct Root {
    Root() {
      std::error_code ec;
      fs::create_directories(store_base(), ec);
      std::string pattern = (fs::path(store_base()) / "store_bench.XXXXXX").string();
      if (mkdtemp(pattern.data()) != nullptr) path = pattern;
    }
    ~Root() {
      std::error_code ec;
      if (!path.empty()) fs::remove_all(path, ec);
    }
    fs::path path;
  } root;
  return root.path;
}

// A directory for one store, removed with it.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name) {
    static int serial = 0;
    if (!scratch_root().empty()) path_ = scratch_root() / (name + "." + std::to_string(++serial));
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string path() const { return path_.string(); }
  bool ok() const { return !path_.empty(); }

 private:
  fs::path path_;
};

// ---- the workload ---------------------------------------------------------------------------

// CLOCK_PROCESS_CPUTIME_ID (every thread) or CLOCK_THREAD_CPUTIME_ID (the caller's).
double cpu_seconds(clockid_t clock) {
  timespec t{};
  clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Realistic client ids are past std::string's 15-character inline buffer, as here.
std::vector<std::string> client_ids(int sessions) {
  std::vector<std::string> ids;
  for (int i = 0; i < sessions; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "subscriber-%05d", i);
    ids.emplace_back(id);
  }
  return ids;
}

// One message object for every publish: what the store costs is encoding it into a segment,
// which it does per message id; building it is the broker's cost, not the store's.
cairn::model::MessagePtr qos1_message() {
  auto m = std::make_shared<cairn::model::Message>();
  m->topic = "sensors/building-7/floor-3/room-12/temperature";
  m->payload = std::string(64, 'x');
  m->qos = QoS::kAtLeastOnce;
  return m;
}

enum class Acks {
  kNone,       // nothing acknowledged: queues only grow (preparing BM_OpenStore)
  kSeparate,   // one batch per acknowledgement, as Broker::delivery_done submits it
  kInPublish,  // carried by the next publish batch (DESIGN.md §5's table)
};

struct Shape {
  std::size_t batches_per_commit = 0;
  int sessions = 0;
  int fan_out = 1;  // 1 (round robin over the sessions) or `sessions` (every one)
  Acks acks = Acks::kSeparate;
};

// What the committer thread had done when the benchmark thread was last woken; sampled in the
// completion that wakes it, so commits and items agree exactly.
struct Progress {
  std::uint64_t items = 0;  // deliveries committed
  std::uint64_t messages = 0;
  std::uint64_t commits = 0;
  std::uint64_t batches = 0;
  std::uint64_t commit_ns = 0;  // time inside the sink's commit, summed
  double committer_cpu = 0;     // the committer thread's CPU seconds at that point
  std::error_code error;
};

// Keeps up to 3N batches submitted and not yet completed, N being the most one commit takes, and
// refills once a group's worth has completed: while one group syncs, at least one full group is
// queued behind it, as under sustained load. (With 2N the next group is taken while this thread
// is still refilling, and groups come out partial whenever it is slow to wake.) The committer
// thread wakes this one once per group, not once per batch.
class Pipeline {
 public:
  Pipeline(LeveldbStore& store, const Shape& shape, std::uint64_t max_messages)
      : store_(store),
        shape_(shape),
        clients_(client_ids(shape.sessions)),
        sequences_(static_cast<std::size_t>(shape.sessions), 1),
        message_(qos1_message()),
        window_(3 * shape.batches_per_commit),
        open_limit_(open_limit(shape, window_)),
        max_messages_(max_messages) {}

  // Submits until the window is full (or every message is submitted).
  void fill() {
    std::uint64_t outstanding = 0;
    {
      std::lock_guard lock(mutex_);
      for (const Ack& a : ready_) unacked_.push_back(a);
      ready_.clear();
      outstanding = submitted_ - progress_.batches_completed;
    }
    for (; outstanding < window_; ++outstanding, ++submitted_) {
      // Acks and publishes interleaved fan_out to 1, the steady state's mix, so that every
      // group holds both rather than waves of each.
      const bool can_publish = messages_ < max_messages_ &&
                               open_ + static_cast<std::uint64_t>(shape_.fan_out) <= open_limit_;
      if (shape_.acks == Acks::kSeparate && !unacked_.empty() &&
          (!can_publish || acks_since_publish_ < shape_.fan_out)) {
        Batch batch;
        batch.operations.emplace_back(take_ack());
        store_.submit(std::move(batch), [this](std::error_code ec) { on_done(kAckBatch, ec); });
        ++acks_since_publish_;
      } else if (can_publish) {
        submit_publish();
        acks_since_publish_ = 0;
      } else {
        break;
      }
    }
  }

  // Waits until at most 2N batches are outstanding (a group has completed), and for at least
  // one completion when fewer were submitted.
  Progress wait() {
    std::unique_lock lock(mutex_);
    const std::uint64_t completed = progress_.batches_completed;
    const std::uint64_t outstanding = submitted_ - completed;
    if (outstanding == 0) return progress_.at_wake;
    wake_at_ = std::max(completed + 1, submitted_ - std::min(submitted_, window_ - group()));
    done_.wait(lock, [&] { return progress_.batches_completed >= wake_at_ || progress_.error; });
    wake_at_ = kNever;
    return progress_.at_wake;
  }

  std::uint64_t messages_submitted() const { return messages_; }
  std::error_code error() {
    std::lock_guard lock(mutex_);
    return progress_.error;
  }

 private:
  struct Ack {
    int session;
    std::uint64_t sequence;
  };
  static constexpr std::uint64_t kAckBatch = std::numeric_limits<std::uint64_t>::max();
  static constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

  std::uint64_t group() const { return shape_.batches_per_commit; }

  // With acks in batches of their own, publishing pauses at this many deliveries not yet
  // acked: twice the window's share of publishes (1 in fan_out + 1), so that the window binds.
  // Without it the first window would be all publishes, the next hundreds of commits all acks.
  static std::uint64_t open_limit(const Shape& shape, std::uint64_t window) {
    if (shape.acks != Acks::kSeparate) return std::numeric_limits<std::uint64_t>::max();
    const auto f = static_cast<std::uint64_t>(shape.fan_out);
    return std::max(f, 2 * window * f / (f + 1));
  }

  cairn::storage::RemoveDelivery take_ack() {
    const Ack a = unacked_.front();
    unacked_.pop_front();
    --open_;
    return {clients_[static_cast<std::size_t>(a.session)], a.sequence};
  }

  // What Broker::route submits for a QoS 1 publish with persistent subscribers.
  void submit_publish() {
    Batch batch;
    const cairn::storage::MessageId id = ++messages_;
    open_ += static_cast<std::uint64_t>(shape_.fan_out);
    batch.operations.emplace_back(cairn::storage::PutMessage{id, message_});
    const int first = next_session_;
    std::uint64_t sequence = 0;
    for (int k = 0; k < shape_.fan_out; ++k) {
      const auto s = static_cast<std::size_t>((first + k) % shape_.sessions);
      cairn::storage::PutDelivery d;
      d.client_id = clients_[s];
      d.sequence = sequence = sequences_[s]++;
      d.message_id = id;
      d.qos = QoS::kAtLeastOnce;
      batch.operations.emplace_back(std::move(d));
    }
    next_session_ = (first + shape_.fan_out) % shape_.sessions;
    if (shape_.acks == Acks::kInPublish) {
      for (int k = 0; k < shape_.fan_out && !unacked_.empty(); ++k) {
        batch.operations.emplace_back(take_ack());
      }
    }
    // Fits std::function's inline buffer: no allocation on the committer thread to complete it.
    // With fan_out == sessions every session got the same sequence; with 1, the key names the
    // one session.
    const std::uint64_t key = static_cast<std::uint64_t>(first) << 48 | sequence;
    store_.submit(std::move(batch), [this, key](std::error_code ec) { on_done(key, ec); });
  }

  // On the committer thread, in submission order, after the batch's group is durable.
  void on_done(std::uint64_t key, std::error_code ec) {
    std::lock_guard lock(mutex_);
    if (ec && !progress_.error) progress_.error = ec;
    ++progress_.batches_completed;
    if (key != kAckBatch) {
      ++progress_.messages;
      progress_.items += static_cast<std::uint64_t>(shape_.fan_out);
      if (shape_.acks != Acks::kNone) {
        const auto first = static_cast<int>(key >> 48);
        const std::uint64_t sequence = key & ((std::uint64_t{1} << 48) - 1);
        for (int k = 0; k < shape_.fan_out; ++k) {
          ready_.push_back({(first + k) % shape_.sessions, sequence});
        }
      }
    }
    if (progress_.batches_completed == wake_at_ || ec) {
      // Still inside this group's completions: Stats count it and nothing after it.
      const GroupCommitter::Stats& stats = store_.committer().stats();
      progress_.at_wake = Progress{progress_.items,
                                   progress_.messages,
                                   stats.commits.load(std::memory_order_relaxed),
                                   stats.batches.load(std::memory_order_relaxed),
                                   stats.commit_nanoseconds.load(std::memory_order_relaxed),
                                   cpu_seconds(CLOCK_THREAD_CPUTIME_ID),
                                   progress_.error};
      done_.notify_one();
    }
  }

  LeveldbStore& store_;
  const Shape shape_;
  const std::vector<std::string> clients_;

  // The benchmark thread's own.
  std::vector<std::uint64_t> sequences_;  // the next per session; 0 means "none" to the broker
  const cairn::model::MessagePtr message_;
  const std::uint64_t window_;
  const std::uint64_t open_limit_;
  const std::uint64_t max_messages_;
  std::uint64_t open_ = 0;       // deliveries submitted whose ack is not (yet)
  std::uint64_t messages_ = 0;   // submitted
  std::uint64_t submitted_ = 0;  // batches
  int next_session_ = 0;
  int acks_since_publish_ = 0;
  std::deque<Ack> unacked_;

  // Shared with the completions, under mutex_.
  std::mutex mutex_;
  std::condition_variable done_;
  std::uint64_t wake_at_ = kNever;
  std::vector<Ack> ready_;  // committed, to be acknowledged by the next fill()
  struct {
    std::uint64_t batches_completed = 0;
    std::uint64_t items = 0;
    std::uint64_t messages = 0;
    std::error_code error;
    Progress at_wake;
  } progress_;
};

LeveldbStore::Opened open_store(const std::string& dir, std::size_t batches_per_commit) {
  LeveldbStore::Options options;
  options.directory = dir;
  options.mode = LeveldbStore::Mode::kOpen;
  options.committer.max_batches_per_commit = batches_per_commit;
  return LeveldbStore::open(options);
}

// The sessions' records: a queue whose session has no record is an orphan at open.
std::error_code put_sessions(LeveldbStore& store, int sessions) {
  Batch batch;
  for (const std::string& id : client_ids(sessions)) {
    cairn::storage::PutSession s;
    s.client_id = id;
    s.expiry_interval = 0xFFFFFFFF;
    batch.operations.emplace_back(std::move(s));
  }
  std::promise<std::error_code> done;
  store.submit(std::move(batch), [&done](std::error_code ec) { done.set_value(ec); });
  return done.get_future().get();
}

// ---- the disk alone ---------------------------------------------------------------------------

// One synced write without LevelDB, a 4 KiB append and fdatasync like a commit's log record:
// the yardstick that says whether a slow run was the store or the disk.
void BM_SyncedAppend(benchmark::State& state) {
  ScratchDir dir("sync");
  std::error_code ec;
  if (!dir.ok() || !fs::create_directories(dir.path(), ec)) {
    state.SkipWithError("cannot create a scratch directory (CAIRN_BENCH_DIR?)");
    return;
  }
  const std::string file = dir.path() + "/log";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    state.SkipWithError("cannot create a file in the scratch directory");
    return;
  }
  const std::string block(4096, 'x');
  for (auto _ : state) {
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) ||
        ::fdatasync(fd) != 0) {
      state.SkipWithError("write or fdatasync failed");
      break;
    }
  }
  ::close(fd);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SyncedAppend)->UseRealTime();

// ---- commit benchmarks ----------------------------------------------------------------------

void run_commits(benchmark::State& state, const Shape& shape) {
  ScratchDir dir("commit");
  if (!dir.ok()) {
    state.SkipWithError("cannot create a scratch directory (CAIRN_BENCH_DIR?)");
    return;
  }
  LeveldbStore::Opened opened = open_store(dir.path(), shape.batches_per_commit);
  if (!opened.store) {
    state.SkipWithError(opened.error.c_str());
    return;
  }
  LeveldbStore& store = *opened.store;
  if (std::error_code ec = put_sessions(store, shape.sessions)) {
    state.SkipWithError(("the sessions did not commit: " + ec.message()).c_str());
    return;
  }
  // Declared after the store is opened and closed before it goes: completions refer to it.
  Pipeline pipeline(store, shape, std::numeric_limits<std::uint64_t>::max());

  // A few groups untimed first, so that timing starts in the steady state: a full queue behind
  // the syncing group, acks flowing. Every figure is then over the same span, first to last.
  Progress first;
  for (int i = 0; i < 3 && !first.error; ++i) {
    pipeline.fill();
    first = pipeline.wait();
  }
  const double cpu0 = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
  const auto start = std::chrono::steady_clock::now();
  Progress last = first;
  double cpu = cpu0;
  auto end = start;
  for (auto _ : state) {
    pipeline.fill();
    last = pipeline.wait();
    end = std::chrono::steady_clock::now();
    cpu = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
    if (last.error) {
      state.SkipWithError(("a commit failed: " + last.error.message()).c_str());
      break;
    }
  }
  store.close();  // completes what is still in flight before the pipeline goes

  const auto items = static_cast<double>(last.items - first.items);
  const auto commits = static_cast<double>(last.commits - first.commits);
  const double seconds = std::chrono::duration<double>(end - start).count();
  state.SetItemsProcessed(static_cast<std::int64_t>(last.items - first.items));
  if (seconds <= 0 || commits <= 0 || items <= 0) return;
  state.counters["commits/s"] = commits / seconds;
  state.counters["batch/commit"] = static_cast<double>(last.batches - first.batches) / commits;
  state.counters["msg/commit"] = static_cast<double>(last.messages - first.messages) / commits;
  // Wall time in the sink per commit (encode, write, sync): says how fast the disk was.
  state.counters["commit_us"] =
      static_cast<double>(last.commit_ns - first.commit_ns) / commits / 1e3;
  state.counters["cpu_s/1M"] = (cpu - cpu0) / items * 1e6;
  state.counters["committer_cpu_s/1M"] = (last.committer_cpu - first.committer_cpu) / items * 1e6;
}

void BM_GroupCommit(benchmark::State& state) {
  run_commits(state, {static_cast<std::size_t>(state.range(0)), 8, 1, Acks::kSeparate});
}
void BM_GroupCommitAckInPublish(benchmark::State& state) {
  run_commits(state, {static_cast<std::size_t>(state.range(0)), 8, 1, Acks::kInPublish});
}
void BM_FanOutCommit(benchmark::State& state) {
  const int sessions = static_cast<int>(state.range(0));
  run_commits(state, {1024, sessions, sessions, Acks::kSeparate});
}

// Real time: the work is on the committer and LevelDB threads while this one waits.
BENCHMARK(BM_GroupCommit)->Arg(1)->Arg(16)->Arg(128)->Arg(1024)->UseRealTime();
BENCHMARK(BM_GroupCommitAckInPublish)->Arg(1)->Arg(16)->Arg(128)->Arg(1024)->UseRealTime();
BENCHMARK(BM_FanOutCommit)->Arg(8)->Arg(100)->UseRealTime();

// ---- recovery -------------------------------------------------------------------------------

// Returns why it could not be built, or an empty string.
std::string build_store(std::unique_ptr<ScratchDir>& dir, std::uint64_t queued, int sessions) {
  dir = std::make_unique<ScratchDir>("open-" + std::to_string(queued));
  if (!dir->ok()) return "cannot create a scratch directory";
  {
    const GroupCommitter::Limits defaults;
    LeveldbStore::Opened opened = open_store(dir->path(), defaults.max_batches_per_commit);
    if (!opened.store) return opened.error;
    if (put_sessions(*opened.store, sessions)) return "the sessions did not commit";
    Pipeline pipeline(*opened.store, {defaults.max_batches_per_commit, sessions, 1, Acks::kNone},
                      queued);
    while (pipeline.messages_submitted() < queued) {
      pipeline.fill();
      if (pipeline.wait().error) break;
    }
    opened.store->close();  // completes the rest
    if (std::error_code ec = pipeline.error()) return "a commit failed: " + ec.message();
  }
  // Once, untimed: LevelDB replays its log into a table here, so every timed open reads the
  // same files, as a restart after a clean shutdown does.
  LeveldbStore::Opened warm = open_store(dir->path(), 1);
  if (!warm.store) return warm.error;
  if (warm.report.queued != queued) return "the store holds another number of deliveries";
  return {};
}

// A store with `queued` unacknowledged deliveries across `sessions` sessions, built once per
// process through the store itself (default Limits, as the broker opens it) and reused by every
// run: building 1M takes seconds. The empty string when it could not be built.
std::string prepared_store(std::uint64_t queued, int sessions, std::string& error) {
  // The store's directory, and why it could not be built (empty when it was).
  static std::map<std::pair<std::uint64_t, int>,
                  std::pair<std::unique_ptr<ScratchDir>, std::string>>
      stores;
  auto [it, added] = stores.try_emplace({queued, sessions});
  auto& [dir, why] = it->second;
  if (added) why = build_store(dir, queued, sessions);
  error = why;
  return why.empty() ? dir->path() : std::string();
}

// Manual time: only open() is timed, not the destruction of what it returned. The files are
// in the page cache (they were just written), so this is the CPU side of recovery; a cold start
// adds reading report.bytes_read from the disk.
void BM_OpenStore(benchmark::State& state) {
  const auto queued = static_cast<std::uint64_t>(state.range(0));
  const auto sessions = static_cast<int>(state.range(1));
  std::string error;
  const std::string path = prepared_store(queued, sessions, error);
  if (path.empty()) {
    state.SkipWithError(("preparing the store failed: " + error).c_str());
    return;
  }
  cairn::storage::LoadReport report;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    LeveldbStore::Opened opened = open_store(path, 1);
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (!opened.store) {
      state.SkipWithError(opened.error.c_str());
      break;
    }
    report = opened.report;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(queued));
  state.counters["queued"] = static_cast<double>(report.queued);
  state.counters["segments"] = static_cast<double>(report.segments);
  state.counters["MB_read"] = static_cast<double>(report.bytes_read) / 1e6;
  state.counters["orphans"] = static_cast<double>(report.orphans);
}
BENCHMARK(BM_OpenStore)
    ->ArgNames({"queued", "sessions"})
    ->Args({10'000, 100})
    ->Args({100'000, 100})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// Registered by main() only when the filter names it: CI runs every registered benchmark, and
// building its store alone takes seconds.
void register_large() {
  benchmark::RegisterBenchmark("BM_OpenStoreLarge", BM_OpenStore)
      ->ArgNames({"queued", "sessions"})
      ->Args({1'000'000, 10'000})
      ->Args({1'000'000, 100})
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
}

}  // namespace

// benchmark_main's, plus the opt-in registration above.
int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (benchmark::GetBenchmarkFilter().find("Large") != std::string::npos) register_large();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
