// Two lanes side by side (Lanes.cs).
[assembly: CollectionBehavior(MaxParallelThreads = 2)]
