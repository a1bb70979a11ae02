namespace LocalMesh.Emulator.Configuration;

/// <summary>How Knative retries a delivery before the event goes to the dead-letter sink.</summary>
public enum BackoffPolicy
{
    /// <summary>Each retry waits <c>backoffDelay × 2^n</c> (n = the retry's number, from 1).</summary>
    Exponential,

    /// <summary>Each retry waits <c>backoffDelay × n</c>.</summary>
    Linear,
}
