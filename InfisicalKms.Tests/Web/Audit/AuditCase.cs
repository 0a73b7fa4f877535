using System.Text.Json.Nodes;
using InfisicalKms.Core.Audit;

namespace InfisicalKms.Tests.Web.Audit;

/// <summary>One record a request must leave (spec §10.7.3/§10.7.4); origin and time are checked by the runner.</summary>
/// <param name="Actor">Who the record names; null means the bootstrap identity that sends the requests.</param>
public sealed record ExpectedRecord(
    string EventType, Guid ChainId, Guid? ProjectId, Guid? KeyId, IReadOnlyDictionary<string, string> Metadata,
    string Outcome = "success", AuditActor? Actor = null);

/// <summary>The request of one case, made after its set-up, and the records it must produce given its response body.</summary>
public sealed record AuditScenario(
    HttpClient Client, HttpMethod Method, string Path, object? Body, Func<JsonObject, IReadOnlyList<ExpectedRecord>> Expect, int Status = 200);

/// <summary>A row of the audited-route table: a name for the test explorer and the set-up that yields its scenario.</summary>
public sealed record AuditCase(string Name, Func<AuditServerFixture, Task<AuditScenario>> Arrange)
{
    public override string ToString() => Name;
}

/// <summary>A request that must record nothing (refused before spec §1.8 step 6, or a route with no audit event).</summary>
public sealed record SilentRequest(HttpClient Client, HttpMethod Method, string Path, HttpContent? Content, int Status);

public sealed record SilentCase(string Name, Func<AuditServerFixture, Task<SilentRequest>> Arrange)
{
    public override string ToString() => Name;
}

/// <summary>Builders of expected records and metadata, shared by the case tables.</summary>
public static class Expect
{
    public static IReadOnlyDictionary<string, string> Meta(params (string Key, string Value)[] entries) =>
        new SortedDictionary<string, string>(entries.ToDictionary(e => e.Key, e => e.Value), StringComparer.Ordinal);

    /// <summary>The metadata a failure adds (spec §10.7.3): status code and error class.</summary>
    public static IReadOnlyDictionary<string, string> Failed(int status, string error, params (string Key, string Value)[] entries) =>
        Meta([.. entries, ("statusCode", status.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("error", error)]);

    /// <summary>A record of the project's own chain.</summary>
    public static ExpectedRecord InProject(Guid projectId, string eventType, Guid? keyId, IReadOnlyDictionary<string, string> metadata) =>
        new(eventType, projectId, projectId, keyId, metadata);

    /// <summary>A record of the organization chain (no project, no key).</summary>
    public static ExpectedRecord InOrganization(AuditServerFixture f, string eventType, IReadOnlyDictionary<string, string> metadata) =>
        new(eventType, f.OrganizationId, null, null, metadata);

    public static IReadOnlyList<ExpectedRecord> One(ExpectedRecord record) => [record];

    public static Guid Id(JsonNode? node) => Guid.Parse((string)node!);
}
