using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Kmip;

/// <summary>
/// Runs <c>pykmip/kmip_driver.py</c> under Debian's <c>/usr/bin/python3</c> with PyKMIP 0.10 (python3-pykmip):
/// one process, one KMIP session, the given steps in order. A missing interpreter or kmip module fails the test
/// (never skips): the evidence must come from a KMIP client nobody here wrote.
/// </summary>
public static class PyKmipDriver
{
    /// <summary>The interpreter python3-pykmip installs for; the first python3 on PATH may lack the module (P22).</summary>
    public const string Python = "/usr/bin/python3";

    private static readonly SemaphoreSlim CheckGate = new(1, 1);
    private static bool _checked;

    public static string ScriptPath => Path.Combine(AppContext.BaseDirectory, "Kmip", "pykmip", "kmip_driver.py");

    /// <summary>Runs <paramref name="steps"/> as the client of <paramref name="bundle"/> against 127.0.0.1:<paramref name="port"/>.</summary>
    public static async Task<DriverRun> RunAsync(KmipBundle bundle, int port, params JsonObject[] steps)
    {
        await EnsureInstalledAsync();
        var input = new JsonArray([.. steps.Select(s => (JsonNode)s.DeepClone())]);
        ToolResult result = await ExternalTools.RunAsync(Python,
            [ScriptPath, "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--cert", bundle.CertificatePath, "--key", bundle.PrivateKeyPath, "--ca", bundle.CaPath, "--timeout", "30"],
            standardInput: input.ToJsonString(), timeout: TimeSpan.FromSeconds(90));
        return DriverRun.Parse(result, input);
    }

    /// <summary>Fails the test with what to install when /usr/bin/python3 or its kmip module is missing.</summary>
    private static async Task EnsureInstalledAsync()
    {
        await CheckGate.WaitAsync();
        try
        {
            if (_checked)
            {
                return;
            }

            Assert.True(File.Exists(Python), $"{Python} is required by the PyKMIP tests; install python3-pykmip (test.sh does). These tests never skip.");
            Assert.True(File.Exists(ScriptPath), $"{ScriptPath} is missing from the test output.");
            ToolResult probe = await ExternalTools.RunAsync(Python, ["-c", "import kmip, sys; sys.stdout.write(kmip.__version__)"]);
            Assert.True(probe.ExitCode == 0,
                $"{Python} cannot import kmip; install python3-pykmip (test.sh does). These tests never skip.\n{probe.Output}");
            _checked = true;
        }
        finally
        {
            CheckGate.Release();
        }
    }
}

/// <summary>A KMIP client's files as a KMIP client would use them: its certificate, private key and the CA that signed the server.</summary>
public sealed record KmipBundle(Guid ClientId, string Folder, string CertificatePath, string PrivateKeyPath, string CaPath)
{
    public override string ToString() => $"KmipBundle({ClientId}, {Folder})";   // never the key's text
}

/// <summary>What one driver run printed: a result per step, or the connect error when no session could be had.</summary>
public sealed class DriverRun
{
    private DriverRun(ToolResult tool, JsonArray steps, JsonArray? results, JsonObject? connectError)
    {
        Tool = tool;
        Steps = steps;
        Results = results;
        ConnectError = connectError;
    }

    public ToolResult Tool { get; }

    public JsonArray Steps { get; }

    public JsonArray? Results { get; }

    public JsonObject? ConnectError { get; }

    public static DriverRun Parse(ToolResult tool, JsonArray steps)
    {
        JsonNode? output;
        try
        {
            output = JsonNode.Parse(tool.StandardOutput.Trim());
        }
        catch (System.Text.Json.JsonException)
        {
            output = null;
        }

        return output switch
        {
            JsonArray results when tool.ExitCode == 0 && results.Count == steps.Count => new DriverRun(tool, steps, results, null),
            JsonObject error when tool.ExitCode == 2 && error.ContainsKey("connectError") => new DriverRun(tool, steps, null, error),
            _ => throw new Xunit.Sdk.XunitException($"the driver printed no result it should print ({tool.CommandLine}, exit {tool.ExitCode}):\n{tool.Output}"),
        };
    }

    /// <summary>Step <paramref name="index"/>'s result, which must have succeeded.</summary>
    public JsonObject Ok(int index)
    {
        JsonObject result = Result(index);
        Assert.True((bool?)result["ok"] == true, $"step {index} {Steps[index]!.ToJsonString()} failed: {result.ToJsonString()}\n{Describe()}");
        return result;
    }

    /// <summary>Step <paramref name="index"/>'s result, which must be a KMIP Operation Failed with this Result Reason.</summary>
    public JsonObject Failed(int index, string reason)
    {
        JsonObject result = Result(index);
        Assert.True((bool?)result["ok"] == false && (string?)result["status"] == "OPERATION_FAILED" && (string?)result["reason"] == reason,
            $"step {index} {Steps[index]!.ToJsonString()} should fail with {reason}: {result.ToJsonString()}\n{Describe()}");
        return result;
    }

    public JsonObject Result(int index)
    {
        Assert.True(Results is not null, $"the driver could not connect: {ConnectError?.ToJsonString()}\n{Describe()}");
        return Results![index]!.AsObject();
    }

    /// <summary>The handshake (or the first read right after it, with TLS 1.3) was refused.</summary>
    public void AssertHandshakeRefused()
    {
        Assert.True(ConnectError is not null, $"the connection should have been refused, but the session ran:\n{Describe()}");
        Assert.True((bool?)ConnectError!["tls"] == true, $"the refusal should come from TLS: {ConnectError.ToJsonString()}");
    }

    public string Describe() => $"steps: {Steps.ToJsonString()}\nstdout: {Tool.StandardOutput}\nstderr: {Tool.StandardError}";
}
