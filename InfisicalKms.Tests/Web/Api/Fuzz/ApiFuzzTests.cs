using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using CsCheck;
using Xunit.Abstractions;

namespace InfisicalKms.Tests.Web.Api.Fuzz;

/// <summary>
/// Issue #12, item 4: property-based fuzzing of every operation in the server's own OpenAPI document, against
/// the real server binary. Each case is one invalid request (one invalidating change, plus harmless noise);
/// for every case the answer is its expected 4xx, never a 5xx, in the spec's error body; stored keys,
/// projects, memberships and identities are unchanged; and the server still answers.
/// <para>
/// Settings (environment): <c>KMS_FUZZ_ITER</c> cases per operation (default 200); <c>KMS_FUZZ_SEED</c> a
/// number, or <c>random</c> (default a fixed seed, so CI runs the same cases every time);
/// <c>KMS_FUZZ_CASE=&lt;operationId&gt;@&lt;seed&gt;</c> replays one case printed by a failure.
/// </para>
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class ApiFuzzTests(FuzzServer server, ITestOutputHelper output) : IClassFixture<FuzzServer>
{
    public const ulong DefaultSeed = 20261206;
    private const int MaxReported = 20;

    [Fact]
    public async Task EveryDocumentedOperation_InvalidRequests_GetTheirErrorAndChangeNothing()
    {
        // Arrange
        IReadOnlyList<ApiOperation> operations = ApiOperation.ReadAll(server.OpenApi);
        Assert.True(operations.Count >= 50, $"the OpenAPI document lists only {operations.Count} operations");
        var generator = new RequestGenerator(server);
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(60) };
        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        int failed = 0;
        int cases = 0;
        var clock = Stopwatch.StartNew();

        // Act and assert, case by case
        foreach ((ApiOperation operation, PCG pcg) in Cases(operations))
        {
            FuzzCase fuzzCase = generator.Generate(operation, pcg);
            string before = operation.IsRead ? "" : await server.SnapshotAsync();
            List<string> problems;
            try
            {
                using HttpResponseMessage response = await client.SendAsync(Request(fuzzCase, operation));
                byte[] body = await response.Content.ReadAsByteArrayAsync();
                statuses[(int)response.StatusCode] = statuses.GetValueOrDefault((int)response.StatusCode) + 1;
                problems = ResponseOracle.Check(fuzzCase, response, body);
                if (!operation.IsRead && await server.SnapshotAsync() != before)
                {
                    problems.Add("stored keys, projects, memberships or identities changed");
                }

                if (problems.Count > 0)
                {
                    problems.Add($"answer: {Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 500)))}");
                }
            }
            catch (HttpRequestException e)
            {
                problems = [$"no answer: {e.Message}"];
            }

            cases++;
            if (problems.Count > 0 && ++failed <= MaxReported)
            {
                failures.Add(fuzzCase.Describe() + "\n  - " + string.Join("\n  - ", problems));
            }

            if (cases % Settings.Iterations == 0 || Settings.ReplayCase is not null)
            {
                await AssertServerAnswersAsync(operation);
            }
        }

        // Assert
        clock.Stop();
        string summary = $"{cases} cases over {operations.Count} operations ({Settings.Describe}) in {clock.Elapsed.TotalSeconds:F0} s; "
            + $"answers: {string.Join(", ", statuses.Select(s => $"{s.Key} × {s.Value}"))}";
        output.WriteLine(summary);
        Assert.True(failed == 0, $"{failed} of {cases} cases broke the contract ({summary}); the first {Math.Min(failed, MaxReported)}:\n\n"
            + string.Join("\n\n", failures));
    }

    private static FuzzSettings Settings { get; } = FuzzSettings.FromEnvironment();

    private IEnumerable<(ApiOperation, PCG)> Cases(IReadOnlyList<ApiOperation> operations)
    {
        if (Settings.ReplayCase is { } replay)
        {
            string[] parts = replay.Split('@', 2);
            ApiOperation operation = operations.SingleOrDefault(o => o.OperationId == parts[0])
                ?? throw new InvalidOperationException($"KMS_FUZZ_CASE names no operation '{parts[0]}'");
            yield return (operation, PCG.Parse(parts[1]));
            yield break;
        }

        foreach (ApiOperation operation in operations)
        {
            // One stream per operation, so adding a route does not change the cases of the others.
            var cases = new PCG(BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(operation.OperationId))), Settings.Seed);
            for (int i = 0; i < Settings.Iterations; i++)
            {
                yield return (operation, new PCG(cases.Next(), cases.Next64()));
            }
        }
    }

    private HttpRequestMessage Request(FuzzCase fuzzCase, ApiOperation operation)
    {
        var request = new HttpRequestMessage(new HttpMethod(fuzzCase.Method), server.Raw(fuzzCase.PathAndQuery));
        if (operation.Authenticated)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminToken);
        }

        foreach ((string name, string value) in fuzzCase.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (fuzzCase.Body is { } body)
        {
            request.Content = fuzzCase.Chunked ? new ChunkedContent(body) : new ByteArrayContent(body);
            if (fuzzCase.ContentType is { } contentType)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        return request;
    }

    private async Task AssertServerAnswersAsync(ApiOperation operation)
    {
        using HttpResponseMessage status = await server.Anonymous.GetAsync("/api/status");
        Assert.True(status.IsSuccessStatusCode, $"after fuzzing {operation.OperationId} the server answers /api/status with {(int)status.StatusCode}");
    }

    /// <summary>A body sent with <c>Transfer-Encoding: chunked</c>: no Content-Length for the server to check first.</summary>
    private sealed class ChunkedContent(byte[] body) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(body).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }

    private sealed record FuzzSettings(int Iterations, ulong Seed, bool RandomSeed, string? ReplayCase)
    {
        public string Describe => ReplayCase is not null
            ? $"replay of {ReplayCase}"
            : $"{Iterations} per operation, KMS_FUZZ_SEED={Seed.ToString(CultureInfo.InvariantCulture)}{(RandomSeed ? " (random)" : "")}";

        public static FuzzSettings FromEnvironment()
        {
            string? iterations = Environment.GetEnvironmentVariable("KMS_FUZZ_ITER");
            string? seed = Environment.GetEnvironmentVariable("KMS_FUZZ_SEED");
            bool random = string.Equals(seed, "random", StringComparison.OrdinalIgnoreCase);
            return new FuzzSettings(
                string.IsNullOrEmpty(iterations) ? 200 : int.Parse(iterations, CultureInfo.InvariantCulture),
                random ? BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)) : string.IsNullOrEmpty(seed) ? DefaultSeed : ulong.Parse(seed, CultureInfo.InvariantCulture),
                random,
                Environment.GetEnvironmentVariable("KMS_FUZZ_CASE") is { Length: > 0 } replay ? replay : null);
        }
    }
}
