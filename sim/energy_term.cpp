// Default mixed products of an energy term: zero (the term does not depend on p or y).
#include "sim/energy_term.hpp"

namespace podsim::sim {

void EnergyTerm::add_handle_product(const Eigen::VectorXd&, const Eigen::VectorXd&, double,
                                    const Eigen::Ref<const Eigen::MatrixXd>&, Eigen::Ref<Eigen::MatrixXd>) const
{
}

void EnergyTerm::add_handle_product_transpose(const Eigen::VectorXd&, const Eigen::VectorXd&, double,
                                              const Eigen::Ref<const Eigen::MatrixXd>&,
                                              Eigen::Ref<Eigen::MatrixXd>) const
{
}

void EnergyTerm::add_start_product(const Eigen::VectorXd&, const Eigen::VectorXd&, double,
                                   const Eigen::Ref<const Eigen::MatrixXd>&, Eigen::Ref<Eigen::MatrixXd>) const
{
}

void EnergyTerm::add_start_product_transpose(const Eigen::VectorXd&, const Eigen::VectorXd&, double,
                                             const Eigen::Ref<const Eigen::MatrixXd>&,
                                             Eigen::Ref<Eigen::MatrixXd>) const
{
}

} // namespace podsim::sim
