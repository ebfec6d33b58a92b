// SAC's replay buffer: whole episodes in a ring (the oldest overwritten when full), transitions
// gathered with their previous action, time, next observation and end, seeded sampling that
// repeats and covers the buffer, and the checkpoint form read back to the same bits (corrupt
// forms refused with a located message).
#include "common/input_error.hpp"
#include "pods/train/sac_replay.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <set>

using namespace podsim;

namespace {

constexpr int kObs = 3, kAct = 2, kHorizon = 4;

// episode e: obs(r, t) = 100 e + 10 t + r, actions(r, t) = -(100 e + 10 t + r), rewards t = e + t / 10
struct Episode {
    Eigen::MatrixXd obs, actions;
    Eigen::VectorXd rewards;
};

Episode episode(int e)
{
    Episode ep{Eigen::MatrixXd(kObs, kHorizon), Eigen::MatrixXd(kAct, kHorizon), Eigen::VectorXd(kHorizon)};
    for (int t = 0; t < kHorizon; ++t) {
        for (int r = 0; r < kObs; ++r) ep.obs(r, t) = 100 * e + 10 * t + r;
        for (int r = 0; r < kAct; ++r) ep.actions(r, t) = -(100 * e + 10 * t + r);
        ep.rewards[t] = e + t / 10.0;
    }
    return ep;
}

void add(pods::ReplayBuffer& b, int e)
{
    const Episode ep = episode(e);
    b.add_episode(ep.obs, ep.actions, ep.rewards);
}

std::vector<int> all_indices(const pods::ReplayBuffer& b)
{
    std::vector<int> out(static_cast<std::size_t>(b.size()));
    for (int i = 0; i < b.size(); ++i) out[std::size_t(i)] = i;
    return out;
}

} // namespace

TEST_CASE("sac_replay: whole episodes fill a ring of capacity / horizon slots, the oldest overwritten first")
{
    pods::ReplayBuffer b(kObs, kAct, kHorizon, 3 * kHorizon + 2); // 14 transitions: 3 episode slots
    CHECK(b.episode_slots() == 3);
    CHECK(b.capacity() == 12);
    CHECK(b.size() == 0);
    std::set<int> episodes_seen;
    for (int e = 0; e < 5; ++e) {
        add(b, e);
        CHECK(b.size() == kHorizon * std::min(e + 1, 3));
    }
    CHECK(b.episodes_added() == 5);
    // episodes 3 and 4 took the slots of 0 and 1; slot 2 still holds episode 2
    pods::SacBatch batch;
    b.gather(all_indices(b), batch);
    for (int i = 0; i < b.size(); ++i) episodes_seen.insert(int(batch.obs(0, i)) / 100);
    CHECK(episodes_seen == std::set<int>{2, 3, 4});
    CHECK(batch.obs(0, 0) == 300);
    CHECK(batch.obs(0, kHorizon) == 400);
    CHECK(batch.obs(0, 2 * kHorizon) == 200);
    // a buffer smaller than one episode keeps one
    pods::ReplayBuffer tiny(kObs, kAct, kHorizon, 1);
    CHECK(tiny.episode_slots() == 1);
    add(tiny, 7);
    add(tiny, 8);
    CHECK(tiny.size() == kHorizon);
    tiny.gather(all_indices(tiny), batch);
    CHECK(batch.obs(0, 0) == 800);
    // an episode of the wrong shape is refused
    const Episode wrong{Eigen::MatrixXd::Zero(kObs, kHorizon + 1), Eigen::MatrixXd::Zero(kAct, kHorizon + 1),
                        Eigen::VectorXd::Zero(kHorizon + 1)};
    CHECK_THROWS_AS(b.add_episode(wrong.obs, wrong.actions, wrong.rewards), std::invalid_argument);
}

TEST_CASE("sac_replay: a transition carries its previous action, time, next observation and episode end")
{
    pods::ReplayBuffer b(kObs, kAct, kHorizon, 100);
    add(b, 0);
    add(b, 1);
    pods::SacBatch batch;
    batch.state.setConstant(kObs + kAct + 1, 8, 1e300); // every entry must be written
    b.gather(all_indices(b), batch);
    REQUIRE(batch.size() == 8);
    for (int i = 0; i < 8; ++i) {
        INFO(i);
        const int e = i / kHorizon, t = i % kHorizon;
        const bool last = t == kHorizon - 1;
        const Episode ep = episode(e);
        CHECK(batch.obs.col(i) == ep.obs.col(t));
        CHECK(batch.action.col(i) == ep.actions.col(t));
        CHECK(batch.reward[i] == ep.rewards[t]);
        CHECK(batch.not_done[i] == (last ? 0.0 : 1.0));
        CHECK(batch.state.col(i).head(kObs) == ep.obs.col(t));
        if (t == 0) CHECK(batch.state.col(i).segment(kObs, kAct).isZero(0));
        else CHECK(batch.state.col(i).segment(kObs, kAct) == ep.actions.col(t - 1));
        CHECK(batch.state(kObs + kAct, i) == 2.0 * t / kHorizon - 1);
        if (!last) CHECK(batch.next_obs.col(i) == ep.obs.col(t + 1));
        CHECK(batch.next_state.col(i).head(kObs) == batch.next_obs.col(i));
        CHECK(batch.next_state.col(i).segment(kObs, kAct) == ep.actions.col(t));
        CHECK(batch.next_state(kObs + kAct, i) == 2.0 * (t + 1) / kHorizon - 1);
    }
    CHECK(batch.next_obs.allFinite());
    const int out_of_range[] = {8};
    CHECK_THROWS_AS(b.gather(out_of_range, batch), std::invalid_argument);
}

TEST_CASE("sac_replay: sampling is uniform with replacement, repeats with the seed and covers the buffer")
{
    pods::ReplayBuffer b(kObs, kAct, kHorizon, 100);
    std::mt19937_64 empty_rng(1);
    CHECK_THROWS_AS(b.sample(4, empty_rng), std::invalid_argument);
    for (int e = 0; e < 5; ++e) add(b, e);
    std::mt19937_64 r1(42), r2(42), r3(43);
    const std::vector<int> a = b.sample(2000, r1), again = b.sample(2000, r2), other = b.sample(2000, r3);
    CHECK(a == again);
    CHECK(a != other);
    std::vector<int> counts(20, 0);
    for (int i : a) {
        REQUIRE(i >= 0);
        REQUIRE(i < 20);
        ++counts[std::size_t(i)];
    }
    // 100 expected per index
    for (int c : counts) {
        CHECK(c > 50);
        CHECK(c < 150);
    }
}

TEST_CASE("sac_replay: the checkpoint form reads back to the same bits and the ring continues where it was")
{
    pods::ReplayBuffer b(kObs, kAct, kHorizon, 3 * kHorizon);
    for (int e = 0; e < 4; ++e) add(b, e);
    // values base64 must carry exactly
    Episode odd = episode(9);
    odd.rewards << -0.0, std::numeric_limits<double>::denorm_min(), 1.0 / 3.0, -std::numeric_limits<double>::max();
    b.add_episode(odd.obs, odd.actions, odd.rewards);
    const nlohmann::json j = nlohmann::json::parse(b.to_json().dump());
    pods::ReplayBuffer c(kObs, kAct, kHorizon, 3 * kHorizon);
    c.restore(common::JsonNode(j, "policy.json", "training.sac.replay"));
    CHECK(c.size() == b.size());
    CHECK(c.episodes_added() == 5);
    pods::SacBatch x, y;
    b.gather(all_indices(b), x);
    c.gather(all_indices(c), y);
    CHECK(x.obs == y.obs);
    CHECK(x.action == y.action);
    CHECK(x.state == y.state);
    CHECK(x.next_state == y.next_state);
    for (int i = 0; i < x.size(); ++i) CHECK(std::signbit(x.reward[i]) == std::signbit(y.reward[i]));
    CHECK(x.reward == y.reward);
    // the next episode overwrites the same slot in both
    add(b, 20);
    add(c, 20);
    b.gather(all_indices(b), x);
    c.gather(all_indices(c), y);
    CHECK(x.obs == y.obs);
    CHECK(b.to_json() == c.to_json());
    // an empty buffer round-trips too
    pods::ReplayBuffer empty(kObs, kAct, kHorizon, 100), empty2(kObs, kAct, kHorizon, 100);
    const nlohmann::json ej = empty.to_json();
    empty2.restore(common::JsonNode(ej, "policy.json"));
    CHECK(empty2.size() == 0);
}

TEST_CASE("sac_replay: a corrupt or mismatched checkpoint form is refused naming the file and the key")
{
    pods::ReplayBuffer b(kObs, kAct, kHorizon, 3 * kHorizon);
    add(b, 1);
    const nlohmann::json good = b.to_json();
    auto refused = [&](nlohmann::json j, const std::string& what) {
        INFO(what);
        pods::ReplayBuffer c(kObs, kAct, kHorizon, 3 * kHorizon);
        CHECK_THROWS_WITH_AS(c.restore(common::JsonNode(j, "policy.json", "replay")), doctest::Contains(what.c_str()),
                             common::InputError);
        CHECK(c.size() == 0); // nothing restored
    };
    nlohmann::json j = good;
    j["obs"] = good["obs"].get<std::string>().substr(4);
    refused(j, "policy.json: replay.obs: must hold 12 doubles");
    j = good;
    std::string text = good["actions"];
    text[5] = '#';
    j["actions"] = text;
    refused(j, "replay.actions: character 5: not a base64 digit");
    j = good;
    j["episode_slots"] = 4;
    refused(j, "replay.episode_slots");
    j = good;
    j["episodes_added"] = 2;
    refused(j, "replay.obs: must hold 24 doubles");
    j = good;
    j["colour"] = 1;
    refused(j, "colour");
    // a non-finite double
    pods::ReplayBuffer bad(kObs, kAct, kHorizon, 3 * kHorizon);
    Episode ep = episode(1);
    ep.rewards[2] = std::numeric_limits<double>::infinity();
    bad.add_episode(ep.obs, ep.actions, ep.rewards);
    refused(bad.to_json(), "replay.rewards: double 2 is not finite");
}
