// Each end-to-end collection starts an AppHost of its own; two at once would fight over two cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
