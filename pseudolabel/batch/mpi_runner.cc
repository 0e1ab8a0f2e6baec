#include "pseudolabel/batch/mpi_runner.h"

#include <cstdlib>
#include <string>

#include "foundation/error.h"
#include "pseudolabel/batch/runner.h"

#ifdef EPILABEL_HAVE_MPI
#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <stdexcept>
#include <thread>
#include <utility>

#include <mpi.h>
#include <nlohmann/json.hpp>
#include <tbb/task_arena.h>

#include "pseudolabel/batch/store.h"
#endif

namespace epilabel {

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

// World size announced by the launcher (0 when unknown).
[[maybe_unused]] int LauncherWorldSize() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
    const std::string v = Env(var);
    if (!v.empty()) return std::atoi(v.c_str());
  }
  return 0;
}

}  // namespace

bool MpiLaunchDetected() {
  return !Env("OMPI_COMM_WORLD_SIZE").empty() || !Env("PMIX_RANK").empty() || !Env("PMI_SIZE").empty();
}

int MpiLaunchRank() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"}) {
    const std::string v = Env(var);
    if (!v.empty()) return std::atoi(v.c_str());
  }
  return 0;
}

bool MpiBuilt() {
#ifdef EPILABEL_HAVE_MPI
  return true;
#else
  return false;
#endif
}

namespace batch {

#ifndef EPILABEL_HAVE_MPI

BatchSummary RunBatchMpi(const BatchManifest& manifest, const BatchOptions& options, const std::vector<int>& selected) {
  if (LauncherWorldSize() > 1)
    throw InputError("mpirun", "this epilabel was built without MPI: run it as one process, or use `shard` i/N");
  return RunBatchLocal(manifest, options, selected);
}

#else  // EPILABEL_HAVE_MPI

namespace {

// Message tags (MPI_COMM_WORLD): worker -> 0 requests (with the finished result), 0 -> worker
// assignments (one int: a manifest index, or -1 for "this slot is done").
constexpr int kTagRequest = 17;
constexpr int kTagAssign = 18;

class MpiSession {
 public:
  MpiSession() {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) {
      int provided = 0;
      MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
      owned_ = true;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiSession() {
    if (owned_) MPI_Finalize();
  }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }

 private:
  bool owned_ = false;
  int rank_ = 0, size_ = 1;
};

// Rank 0 broadcasts "" (go on) or an error message that every rank then throws.
void BroadcastError(std::string* message, bool input_error) {
  int len = static_cast<int>(message->size());
  int kind = input_error ? 1 : 0;
  MPI_Bcast(&len, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Bcast(&kind, 1, MPI_INT, 0, MPI_COMM_WORLD);
  message->resize(static_cast<size_t>(len));
  if (len > 0) MPI_Bcast(message->data(), len, MPI_CHAR, 0, MPI_COMM_WORLD);
  if (len > 0) {
    if (kind == 1) throw InputError("", *message);
    throw std::runtime_error(*message);
  }
}

void Nap() { std::this_thread::sleep_for(std::chrono::milliseconds(3)); }

// One rank's part of a run over two or more ranks.
class MpiBatch {
 public:
  MpiBatch(const BatchManifest& manifest, const BatchOptions& options, const std::vector<int>& selected, int rank)
      : o_(options), selected_(selected), rank_(rank), slots_(std::max(1, options.sequences_per_rank)) {
    for (const auto& s : manifest.sequences) by_index_[s.index] = &s;
  }

  // Rank 0 checks and prepares ROOT; on failure every rank throws the same error (MPI is
  // finalised by ~MpiSession), so nobody waits for a queue that never opens.
  void PrepareRootEverywhere() {
    std::string error;
    bool input_error = false;
    if (rank_ == 0) {
      try {
        PrepareRoot(o_.out_root, false);
      } catch (const InputError& e) {
        error = e.what();
        input_error = true;
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    BroadcastError(&error, input_error);
  }

  // Serves the queue (rank 0) or works from it (other ranks); the results this rank saw, sorted
  // by manifest index.
  std::vector<BatchSequenceResult> Run(int size) {
    try {
      if (rank_ == 0) {
        Serve(size);
      } else {
        Work();
      }
    } catch (const std::exception&) {
      // A broken protocol cannot be recovered: stop every rank rather than hang.
      for (auto& p : running_) p.second.wait();
      MPI_Abort(MPI_COMM_WORLD, 1);
      throw;
    }
    std::sort(finished_.begin(), finished_.end(),
              [](const BatchSequenceResult& a, const BatchSequenceResult& b) { return a.index < b.index; });
    return std::move(finished_);
  }

 private:
  using Pending = std::vector<std::pair<int, std::future<BatchSequenceResult>>>;

  void Start(int index) {
    const BatchSequence* s = by_index_.at(index);
    const BatchOptions& o = o_;
    const int rank = rank_;
    running_.emplace_back(index, std::async(std::launch::async, [s, &o, rank]() {
                            return tbb::this_task_arena::isolate([&] { return RunSequence(*s, o, rank); });
                          }));
  }

  // Moves finished sequences' results out of `running_`; true when any finished.
  bool Harvest(std::vector<BatchSequenceResult>* done) {
    bool any = false;
    for (auto it = running_.begin(); it != running_.end();) {
      if (it->second.wait_for(std::chrono::milliseconds(0)) == std::future_status::ready) {
        done->push_back(it->second.get());
        it = running_.erase(it);
        any = true;
      } else {
        ++it;
      }
    }
    return any;
  }

  void Record(BatchSequenceResult r) {
    finished_.push_back(std::move(r));
    ++done_;
    if (o_.progress) o_.progress("batch", done_, selected_.size());
  }

  // Rank 0: answers every waiting request (recording the result it carries) with the next index
  // or -1; true when there was any.
  bool AnswerRequests(int* stops_sent) {
    bool any = false;
    int flag = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, kTagRequest, MPI_COMM_WORLD, &flag, &status);
    while (flag) {
      any = true;
      int count = 0;
      MPI_Get_count(&status, MPI_CHAR, &count);
      std::string text(static_cast<size_t>(count), '\0');
      MPI_Recv(text.data(), count, MPI_CHAR, status.MPI_SOURCE, kTagRequest, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      if (!text.empty()) Record(BatchSequenceResult::FromJson(nlohmann::json::parse(text)));
      int reply = -1;
      if (next_ < selected_.size()) {
        reply = selected_[next_++];
      } else {
        ++*stops_sent;
      }
      MPI_Send(&reply, 1, MPI_INT, status.MPI_SOURCE, kTagAssign, MPI_COMM_WORLD);
      MPI_Iprobe(MPI_ANY_SOURCE, kTagRequest, MPI_COMM_WORLD, &flag, &status);
    }
    return any;
  }

  // Rank 0: runs its own slots from the queue and answers the other ranks until every slot of
  // every rank was told to stop and its own sequences are done.
  void Serve(int size) {
    const int remote_slots = (size - 1) * slots_;
    int stops_sent = 0;
    while (true) {
      bool progressed = false;
      while (static_cast<int>(running_.size()) < slots_ && next_ < selected_.size()) Start(selected_[next_++]);
      std::vector<BatchSequenceResult> local;
      if (Harvest(&local)) {
        progressed = true;
        for (auto& r : local) Record(std::move(r));
      }
      if (AnswerRequests(&stops_sent)) progressed = true;
      if (stops_sent == remote_slots && running_.empty() && next_ >= selected_.size()) break;
      if (!progressed) Nap();
    }
  }

  // Ranks > 0: one request per slot, then a new request with each finished result, until every
  // slot was told to stop.
  void Work() {
    int outstanding = 0, stops = 0, reply = 0;
    bool receiving = false;
    MPI_Request request = MPI_REQUEST_NULL;
    auto ask = [&](const std::string& text) {
      MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, 0, kTagRequest, MPI_COMM_WORLD);
      ++outstanding;
    };
    for (int s = 0; s < slots_; ++s) ask("");
    while (stops < slots_ || !running_.empty()) {
      bool progressed = false;
      if (outstanding > 0 && !receiving) {
        MPI_Irecv(&reply, 1, MPI_INT, 0, kTagAssign, MPI_COMM_WORLD, &request);
        receiving = true;
      }
      if (receiving) {
        int flag = 0;
        MPI_Test(&request, &flag, MPI_STATUS_IGNORE);
        if (flag) {
          receiving = false;
          --outstanding;
          progressed = true;
          if (reply < 0) {
            ++stops;
          } else {
            Start(reply);
          }
        }
      }
      std::vector<BatchSequenceResult> local;
      if (Harvest(&local)) {
        progressed = true;
        for (auto& r : local) {
          ask(r.ToJson().dump());
          finished_.push_back(std::move(r));
        }
      }
      if (!progressed) Nap();
    }
  }

  const BatchOptions& o_;
  const std::vector<int>& selected_;
  const int rank_;
  const int slots_;
  std::map<int, const BatchSequence*> by_index_;
  Pending running_;
  std::vector<BatchSequenceResult> finished_;
  size_t next_ = 0;  // rank 0: the next position in `selected_` to hand out
  size_t done_ = 0;  // rank 0: results recorded
};

}  // namespace

BatchSummary RunBatchMpi(const BatchManifest& manifest, const BatchOptions& options, const std::vector<int>& selected) {
  const auto t0 = std::chrono::steady_clock::now();
  MpiSession mpi;
  const int rank = mpi.rank(), size = mpi.size();
  if (size == 1) return RunBatchLocal(manifest, options, selected);  // mpirun -np 1: as without MPI
  MpiBatch run(manifest, options, selected, rank);
  run.PrepareRootEverywhere();
  BatchSummary summary;
  summary.writer = rank == 0;
  summary.num_processes = size;
  summary.sequences = run.Run(size);
  summary.seconds = SecondsSince(t0);
  if (rank == 0) {
    try {
      FinishBatch(manifest, options, false, &summary);
    } catch (const std::exception&) {
      MPI_Abort(MPI_COMM_WORLD, 1);
      throw;
    }
  }
  return summary;
}

#endif  // EPILABEL_HAVE_MPI

}  // namespace batch
}  // namespace epilabel
