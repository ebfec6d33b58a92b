// The processes of a run: batch ownership, exchanges and agreed errors. Part of test_pods (one
// process) and of test_mpi, which ctest runs under mpiexec with 2 and 3 ranks: every case holds
// for any number of ranks.
#include "pods/train/cluster.hpp"

#include "common/input_error.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace podsim;

TEST_CASE("cluster: every batch has exactly one owner, batches dealt round-robin")
{
    const pods::Cluster& world = pods::Cluster::world();
    for (int batches : {0, 1, 2, 3, 7}) {
        const std::vector<int> mine = world.owned_batches(batches);
        for (int c : mine) CHECK(c % world.size() == world.rank());
        CHECK(std::is_sorted(mine.begin(), mine.end()));
        // every rank's list, gathered: each batch once
        pods::WireWriter w;
        w.put(std::uint64_t(mine.size()));
        for (int c : mine) w.put(c);
        std::vector<int> count(static_cast<std::size_t>(batches), 0);
        for (const std::string& part : world.allgather(w.bytes())) {
            pods::WireReader in(part);
            const auto n = in.get<std::uint64_t>();
            for (std::uint64_t i = 0; i < n; ++i) ++count[std::size_t(in.get<int>())];
        }
        CHECK(std::all_of(count.begin(), count.end(), [](int k) { return k == 1; }));
    }
    const pods::Cluster solo;
    CHECK(solo.size() == 1);
    CHECK(solo.owned_batches(3) == std::vector<int>{0, 1, 2});
}

TEST_CASE("cluster: allgather returns every rank's bytes in rank order, empty ones included, broadcast sends rank 0's")
{
    const pods::Cluster& world = pods::Cluster::world();
    // rank r sends r copies of 'a' + r (rank 0 sends nothing)
    const std::string mine(std::size_t(world.rank()), char('a' + world.rank()));
    const std::vector<std::string> all = world.allgather(mine);
    REQUIRE(int(all.size()) == world.size());
    for (int r = 0; r < world.size(); ++r) CHECK(all[std::size_t(r)] == std::string(std::size_t(r), char('a' + r)));

    std::string text = world.root() ? std::string("from rank 0\0!", 13) : "other";
    world.broadcast(text);
    CHECK(text == std::string("from rank 0\0!", 13));
    CHECK(world.broadcast(world.root() ? 2.5 : -1.0) == 2.5);
}

TEST_CASE("cluster: share_batches gives every rank every batch's results")
{
    const pods::Cluster& world = pods::Cluster::world();
    const int batches = 5;
    std::vector<double> value(batches, 0.0);
    for (int c : world.owned_batches(batches)) value[std::size_t(c)] = 1.5 * c + 0.25;
    world.share_batches(
        batches, [&](int c, pods::WireWriter& w) { w.put(value[std::size_t(c)]); },
        [&](int c, pods::WireReader& in) { value[std::size_t(c)] = in.get<double>(); });
    for (int c = 0; c < batches; ++c) CHECK(value[std::size_t(c)] == 1.5 * c + 0.25);
}

TEST_CASE("cluster: a failure on one rank is thrown on every rank, with its type")
{
    const pods::Cluster& world = pods::Cluster::world();
    CHECK_NOTHROW(world.agree([] {}));
    const int last = world.size() - 1;
    // the last rank fails with bad input: every rank throws an InputError naming that rank
    bool caught = false;
    try {
        world.agree([&] {
            if (world.rank() == last) throw common::InputError("scene.json: dt: must be > 0");
        });
    } catch (const common::InputError& e) {
        caught = true;
        CHECK(pods::Cluster::failure_agreed() == (world.size() > 1));
        // the failing rank rethrows its own exception, the others name the rank it came from
        const bool own = world.rank() == last || last == 0;
        const std::string expected = (own ? "" : "rank " + std::to_string(last) + ": ") + std::string("scene.json: dt: must be > 0");
        CHECK(std::string(e.what()) == expected);
    }
    CHECK(caught);
    // several ranks fail: the lowest rank's failure wins, run-time failures stay run-time failures
    caught = false;
    try {
        world.agree([&] { throw common::RuntimeFailure("Newton failed on rank " + std::to_string(world.rank())); });
    } catch (const common::RuntimeFailure& e) {
        caught = true;
        CHECK(std::string(e.what()) == "Newton failed on rank 0");
    }
    CHECK(caught);
    // agree_on_root runs on rank 0 only
    int runs = 0;
    world.agree_on_root([&] { ++runs; });
    CHECK(runs == (world.root() ? 1 : 0));
    CHECK_THROWS_AS(world.agree_on_root([] { throw common::InputError("out: already holds a run"); }), common::InputError);
}
