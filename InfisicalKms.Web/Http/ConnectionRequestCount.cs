namespace InfisicalKms.Web.Http;

/// <summary>
/// How many requests of one connection are inside the app pipeline. A count, not a flag: HTTP/2 runs several
/// streams of one connection at once.
/// </summary>
internal sealed class ConnectionRequestCount
{
    /// <summary>For <c>HttpResponse.OnCompleted</c>; one delegate for every request.</summary>
    public static readonly Func<object, Task> ExitCallback = static state =>
    {
        ((ConnectionRequestCount)state).Exit();
        return Task.CompletedTask;
    };

    private int _active;

    public bool InsideApp => Volatile.Read(ref _active) > 0;

    public void Enter() => Interlocked.Increment(ref _active);

    public void Exit() => Interlocked.Decrement(ref _active);
}
