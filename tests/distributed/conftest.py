# The workers are scripts for mpiexec, not test modules: never import them here.
collect_ignore = ["workers"]
