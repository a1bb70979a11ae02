// Three lanes, run side by side, each one test after another: the apps this process starts (the
// shared sample app and the tests that start an app of their own), the README's commands, and the
// AppHost run as a process. Together, one lane's waits (a build, a rate window, an orchestrator
// stopping) are the other lanes' time; within a lane, two apps would fight over two cores. The
// package's team app runs alone after them (PackageCollection).
[assembly: CollectionBehavior(MaxParallelThreads = 3)]
