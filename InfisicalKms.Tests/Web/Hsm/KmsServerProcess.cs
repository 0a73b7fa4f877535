using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Hsm;

/// <summary>A running server child process: an HTTP client on its loopback address, and its output.</summary>
public sealed class KmsServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ProcessOutput _output;

    internal KmsServerProcess(Process process, ProcessOutput output, Uri baseAddress)
    {
        _process = process;
        _output = output;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Client { get; }

    /// <summary>GET /api/status (spec §10.8) as JSON.</summary>
    public async Task<JsonObject> StatusAsync() => await ApiAssert.OkAsync(await Client.GetAsync("/api/status"));

    /// <summary>Stops the server (kill: SQLite is crash-safe) and returns everything it printed.</summary>
    public async Task<ProcessResult> StopAsync()
    {
        KmsInstallation.Kill(_process);
        await _process.WaitForExitAsync();
        Client.Dispose();
        return await _output.ResultAsync(_process.ExitCode);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await StopAsync();
        }

        _process.Dispose();
    }

    /// <summary>Convenience for JSON calls with a bearer token.</summary>
    public async Task<JsonObject> PostAsync(string token, string route, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new("Bearer", token);
        return await ApiAssert.OkAsync(await Client.SendAsync(request));
    }
}
