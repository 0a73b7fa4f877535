using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace InfisicalKms.Tests.Core.RootKeys;

/// <summary>One captured log entry: level, category and the formatted message (with any exception text).</summary>
public sealed record CapturedLog(LogLevel Level, string Category, string Message);

/// <summary>Records every log message of every category at every level, so tests can assert on exact text.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _entries = new();

    public IReadOnlyList<CapturedLog> Entries => [.. _entries];

    public IEnumerable<string> Warnings => Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message);

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, _entries);

    public void Dispose()
    {
        // Nothing to release: the entries outlive the service provider on purpose.
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<CapturedLog> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string message = formatter(state, exception);
            if (exception is not null)
            {
                message += Environment.NewLine + exception;
            }

            entries.Enqueue(new CapturedLog(logLevel, category, message));
        }
    }
}
