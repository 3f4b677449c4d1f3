import os
# Tiny CPU models: one thread per process is as fast as two and immune to oversubscription.
os.environ.setdefault('OMP_NUM_THREADS', '1')
