#pragma once
// The processes of a training run (docs/distributed.md): one process, or every rank of an MPI
// job started by mpirun. Rank r owns the lockstep batches c with c % R == r; after each parallel
// phase every rank receives every batch's results in batch order, so the combining sums and
// updates that follow run identically on all ranks and give the single-process result bit for
// bit. Rank 0 alone touches files. Errors are agreed: a failure on any rank makes every rank
// throw the same exception, so no rank is left waiting.

#include "pods/train/wire.hpp"

#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace podsim::pods {

class Cluster {
public:
    /// One process: no communication.
    Cluster() = default;
    /// The MPI job this process belongs to (one process when podsim was built without MPI or
    /// was not started by mpirun). Valid between ClusterSession's construction and destruction.
    static const Cluster& world();

    int rank() const { return m_rank; }
    int size() const { return m_size; }
    bool root() const { return m_rank == 0; }

    /// The lockstep batches 0..batches-1 this rank owns, in increasing order.
    std::vector<int> owned_batches(int batches) const;

    /// Every rank's bytes, in rank order (MPI_Allgatherv; one process: {mine}).
    std::vector<std::string> allgather(std::string_view mine) const;
    /// Rank 0's `bytes` on every rank.
    void broadcast(std::string& bytes) const;
    /// Rank 0's `v` on every rank.
    double broadcast(double v) const;

    /// After each rank computed its owned batches: `put(c, w)` encodes batch c on its owner,
    /// `get(c, r)` decodes it on every other rank, so all ranks end with every batch.
    void share_batches(int batches, const std::function<void(int, WireWriter&)>& put,
                       const std::function<void(int, WireReader&)>& get) const;

    /// Runs `f` on every rank; when it throws on some rank, every rank throws the failure of the
    /// lowest such rank (InputError and RuntimeFailure keep their type, so exit codes agree).
    template <class F>
    void agree(F&& f) const
    {
        std::exception_ptr e;
        try {
            f();
        } catch (...) {
            e = std::current_exception();
        }
        settle(e);
    }
    /// Runs `f` on rank 0 only (file access); its failure is thrown on every rank.
    template <class F>
    void agree_on_root(F&& f) const
    {
        agree([&] {
            if (root()) f();
        });
    }

    /// This process's exchanges so far: calls, bytes received and seconds spent in them (waiting
    /// for slower ranks included), for benchmarks.
    struct Traffic {
        long long exchanges = 0;
        long long bytes = 0;
        double seconds = 0;
    };
    static Traffic traffic();

    /// Whether the exception being handled was agreed by every rank (so rank 0 alone reports it);
    /// false for a failure of this rank alone, which must abort the job (abort_job).
    static bool failure_agreed();
    /// Ends every process of the job with `code` (MPI_Abort); exits when there is no MPI job.
    [[noreturn]] static void abort_job(int code);

private:
    friend class ClusterSession;
    void settle(std::exception_ptr e) const;

    int m_rank = 0;
    int m_size = 1;
    bool m_mpi = false;
};

/// MPI's lifetime in a process: initialises MPI when the process was started by mpirun (and
/// podsim was built with MPI), finalises it at the end. Make one at the top of main().
class ClusterSession {
public:
    ClusterSession(int& argc, char**& argv);
    ~ClusterSession();
    ClusterSession(const ClusterSession&) = delete;
    ClusterSession& operator=(const ClusterSession&) = delete;
};

/// "Open MPI v4.1.4" (the library podsim was built with) or "not built".
std::string mpi_version();

/// Non-empty when mpirun started several processes but podsim was built without MPI (they would
/// run as independent copies writing the same files): the message to refuse with.
std::string unsupported_launch();
/// The process's rank as mpirun's environment gives it (0 when not started by mpirun).
int launch_rank();

} // namespace podsim::pods
