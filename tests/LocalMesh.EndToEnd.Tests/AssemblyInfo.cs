// Three lanes side by side (Lanes.cs): one lane's waits (a build, a rate window, an orchestrator
// stopping) are the other lanes' time.
[assembly: CollectionBehavior(MaxParallelThreads = 3)]
