"""One thread per numerical library in each test process, as on the lab's own workers.

``make test`` runs two test processes on two cores; with their default pools of two threads
each, torch's OpenMP threads in one process spun against the other's: a pretrained neural ODE's
check took 80 to 326 s beside another test instead of 3 s alone, and the core and page suite 7.5 to
12 min; with one thread each it takes 2.5 min. Set before any test module imports numpy or torch:
they read these once, at load."""

from core import limit_threads

limit_threads()
