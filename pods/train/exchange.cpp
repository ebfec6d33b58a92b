// Encodings of exchanged training results (see exchange.hpp).
#include "pods/train/exchange.hpp"

namespace podsim::pods {

void put_outcome(WireWriter& w, const ClosedLoopRollout& r)
{
    w.put(std::uint8_t(r.ok));
    w.put(r.failed_step);
    w.put(r.failure);
    w.put(r.cost);
}

void get_outcome(WireReader& in, ClosedLoopRollout& r)
{
    r.ok = in.get<std::uint8_t>() != 0;
    r.failed_step = in.get<int>();
    r.failure = in.get_string();
    r.cost = in.get<double>();
}

void put_decisions(WireWriter& w, const ClosedLoopRollout& r)
{
    put_outcome(w, r);
    w.put_matrix(r.obs);
    w.put_matrix(r.handle_velocity);
    w.put_matrix(r.requested);
    w.put_matrix(r.actions);
}

void get_decisions(WireReader& in, ClosedLoopRollout& r)
{
    get_outcome(in, r);
    in.get_matrix(r.obs);
    in.get_matrix(r.handle_velocity);
    in.get_matrix(r.requested);
    in.get_matrix(r.actions);
    r.states.clear();
}

void put_samples(WireWriter& w, const RegressionData& d)
{
    w.put_matrix(d.obs);
    w.put_matrix(d.hv);
    w.put_matrix(d.target);
    w.put_matrix(d.weight);
    w.put_matrix(d.metric);
}

void get_samples(WireReader& in, RegressionData& d)
{
    in.get_matrix(d.obs);
    in.get_matrix(d.hv);
    in.get_matrix(d.target);
    in.get_matrix(d.weight);
    in.get_matrix(d.metric);
}

} // namespace podsim::pods
