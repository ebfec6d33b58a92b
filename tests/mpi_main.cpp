// doctest entry point of test_mpi: MPI is initialised around the tests (ctest starts the
// executable under mpiexec), so pods::Cluster::world() spans every rank.
#define DOCTEST_CONFIG_IMPLEMENT
#include "pods/train/cluster.hpp"

#include <doctest/doctest.h>

int main(int argc, char** argv)
{
    const podsim::pods::ClusterSession mpi(argc, argv);
    doctest::Context context(argc, argv);
    return context.run();
}
