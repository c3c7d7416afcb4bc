# Sourced by the MPI test scripts: Open MPI on this machine only (shared memory between the
# ranks, no network interfaces), ranks may outnumber the cores and are not bound to them, and
# mpirun runs as root (CI does). Single copy is off: not every container's kernel allows it.
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
