namespace LocalMesh.Emulator.Listeners;

/// <summary>
/// The mesh could not open its listeners (a fixed port another program holds): nothing was started,
/// and the message names the port's owner in the model and the fix.
/// </summary>
internal sealed class ListenersUnavailableException(string message, Exception inner) : InvalidOperationException(message, inner);
