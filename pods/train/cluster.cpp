// The processes of a training run and what they exchange (see cluster.hpp). The only file that
// calls MPI; without PODSIM_HAVE_MPI every process is a cluster of one.
#include "pods/train/cluster.hpp"

#include "common/input_error.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <new>

#ifdef PODSIM_HAVE_MPI
#include <mpi.h>
#endif

namespace podsim::pods {

namespace {

Cluster g_world;      // set by ClusterSession
bool g_agreed = false; // the failure being thrown was agreed (main thread only)
Cluster::Traffic g_traffic;

// adds one exchange's bytes and time to g_traffic
class Metered {
public:
    explicit Metered(const long long& bytes) : m_bytes(bytes), m_start(std::chrono::steady_clock::now()) {}
    ~Metered()
    {
        ++g_traffic.exchanges;
        g_traffic.bytes += m_bytes;
        g_traffic.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    }

private:
    const long long& m_bytes;
    std::chrono::steady_clock::time_point m_start;
};

// how a failure travels: its kind and message
enum FailureKind : int { kNone = 0, kInput = 1, kRuntime = 2, kMemory = 3, kOther = 4 };

// an integer from mpirun's environment (Open MPI, then PMI), -1 when absent
int launch_variable(const char* ompi, const char* pmi)
{
    for (const char* name : {ompi, pmi})
        if (const char* v = std::getenv(name)) return std::atoi(v);
    return -1;
}

#ifdef PODSIM_HAVE_MPI
void check(int rc, const char* call)
{
    if (rc == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    throw common::RuntimeFailure(std::string("MPI: ") + call + ": " + std::string(text, std::size_t(len)));
}

// started by mpirun (Open MPI sets OMPI_COMM_WORLD_SIZE, PMIx-based launchers PMIX_RANK)
bool launched_by_mpirun()
{
    return launch_variable("OMPI_COMM_WORLD_SIZE", "PMI_SIZE") >= 0 || std::getenv("PMIX_RANK");
}
#endif

} // namespace

const Cluster& Cluster::world() { return g_world; }

std::vector<int> Cluster::owned_batches(int batches) const
{
    std::vector<int> out;
    for (int c = m_rank; c < batches; c += m_size) out.push_back(c);
    return out;
}

std::vector<std::string> Cluster::allgather(std::string_view mine) const
{
    if (m_size == 1) return {std::string(mine)};
#ifdef PODSIM_HAVE_MPI
    if (mine.size() > std::size_t(INT_MAX))
        throw common::RuntimeFailure("MPI: a rank's message of " + std::to_string(mine.size()) +
                                     " bytes exceeds MPI's 2^31 - 1 (use smaller batches per rank)");
    long long received = 0;
    const Metered meter(received);
    int n = int(mine.size());
    std::vector<int> counts(static_cast<std::size_t>(m_size)), offsets(static_cast<std::size_t>(m_size));
    check(MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather");
    long long total = 0;
    for (int r = 0; r < m_size; ++r) {
        offsets[std::size_t(r)] = int(total);
        total += counts[std::size_t(r)];
    }
    if (total > INT_MAX)
        throw common::RuntimeFailure("MPI: an exchange of " + std::to_string(total) +
                                     " bytes exceeds MPI's 2^31 - 1 (use smaller batches)");
    received = total;
    std::string all(std::size_t(total), '\0');
    check(MPI_Allgatherv(mine.data(), n, MPI_BYTE, all.data(), counts.data(), offsets.data(), MPI_BYTE, MPI_COMM_WORLD),
          "MPI_Allgatherv");
    std::vector<std::string> out;
    for (int r = 0; r < m_size; ++r) out.push_back(all.substr(std::size_t(offsets[std::size_t(r)]), std::size_t(counts[std::size_t(r)])));
    return out;
#else
    return {std::string(mine)};
#endif
}

void Cluster::broadcast([[maybe_unused]] std::string& bytes) const
{
    if (m_size == 1) return;
#ifdef PODSIM_HAVE_MPI
    long long n = root() ? (long long)bytes.size() : 0;
    const Metered meter(n);
    check(MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD), "MPI_Bcast");
    if (n > INT_MAX) throw common::RuntimeFailure("MPI: a broadcast of " + std::to_string(n) + " bytes exceeds 2^31 - 1");
    bytes.resize(std::size_t(n));
    check(MPI_Bcast(bytes.data(), int(n), MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast");
#endif
}

double Cluster::broadcast(double v) const
{
#ifdef PODSIM_HAVE_MPI
    if (m_size > 1) {
        const long long n = sizeof v;
        const Metered meter(n);
        check(MPI_Bcast(&v, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD), "MPI_Bcast");
    }
#endif
    return v;
}

void Cluster::share_batches(int batches, const std::function<void(int, WireWriter&)>& put,
                            const std::function<void(int, WireReader&)>& get) const
{
    if (m_size == 1) return;
    WireWriter w;
    for (int c : owned_batches(batches)) put(c, w);
    const std::vector<std::string> parts = allgather(w.bytes());
    for (int r = 0; r < m_size; ++r) {
        if (r == m_rank) continue;
        WireReader in(parts[std::size_t(r)]);
        for (int c = r; c < batches; c += m_size) get(c, in);
        in.expect_end();
    }
}

void Cluster::settle(std::exception_ptr e) const
{
    g_agreed = false;
    if (m_size == 1) {
        if (e) std::rethrow_exception(e);
        return;
    }
    // this rank's outcome
    int kind = kNone;
    std::string message;
    if (e) {
        try {
            std::rethrow_exception(e);
        } catch (const common::InputError& x) {
            kind = kInput;
            message = x.what();
        } catch (const common::RuntimeFailure& x) {
            kind = kRuntime;
            message = x.what();
        } catch (const std::bad_alloc&) {
            kind = kMemory;
        } catch (const std::exception& x) {
            kind = kOther;
            message = x.what();
        } catch (...) {
            kind = kOther;
            message = "unknown exception";
        }
    }
    WireWriter w;
    w.put(kind);
    w.put(message);
    const std::vector<std::string> all = allgather(w.bytes());

    // the lowest failing rank's failure, on every rank
    for (int r = 0; r < m_size; ++r) {
        WireReader in(all[std::size_t(r)]);
        const int k = in.get<int>();
        if (k == kNone) continue;
        g_agreed = true;
        if (r == m_rank) std::rethrow_exception(e);
        const std::string text = (r == 0 ? "" : "rank " + std::to_string(r) + ": ") + in.get_string();
        switch (k) {
        case kInput: throw common::InputError(text);
        case kRuntime: throw common::RuntimeFailure(text);
        case kMemory: throw std::bad_alloc();
        default: throw std::runtime_error(text);
        }
    }
}

bool Cluster::failure_agreed() { return g_agreed; }

Cluster::Traffic Cluster::traffic() { return g_traffic; }

void Cluster::abort_job(int code)
{
#ifdef PODSIM_HAVE_MPI
    if (g_world.m_mpi) MPI_Abort(MPI_COMM_WORLD, code);
#endif
    std::exit(code);
}

ClusterSession::ClusterSession([[maybe_unused]] int& argc, [[maybe_unused]] char**& argv)
{
#ifdef PODSIM_HAVE_MPI
    if (!launched_by_mpirun()) return;
    // MPI is called only by the main thread, outside OpenMP regions
    int provided = 0;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) return;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_world.m_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_world.m_size);
    g_world.m_mpi = true;
#endif
}

ClusterSession::~ClusterSession()
{
#ifdef PODSIM_HAVE_MPI
    if (g_world.m_mpi) MPI_Finalize();
#endif
    g_world = Cluster();
}

std::string mpi_version()
{
#ifdef PODSIM_HAVE_MPI
    char text[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(text, &len);
    std::string v(text, std::size_t(len));
    if (const auto comma = v.find(','); comma != std::string::npos) v.resize(comma);
    return v;
#else
    return "not built";
#endif
}

std::string unsupported_launch()
{
#ifdef PODSIM_HAVE_MPI
    return {};
#else
    const int size = launch_variable("OMPI_COMM_WORLD_SIZE", "PMI_SIZE");
    if (size <= 1) return {};
    return "mpirun started " + std::to_string(size) +
           " processes, but this podsim was built without MPI (podsim --version; docs/distributed.md)";
#endif
}

int launch_rank() { return std::max(0, launch_variable("OMPI_COMM_WORLD_RANK", "PMI_RANK")); }

} // namespace podsim::pods
