using System.ComponentModel.DataAnnotations;

namespace InfisicalKms.Web.Api.Contracts;

public sealed record LoginResponse(string AccessToken, long ExpiresIn, long AccessTokenMaxTTL, string TokenType);

public sealed record MessageResponse(string Message);

public sealed record BootstrapResponse(string Message, BootstrapUser User, BootstrapOrganization Organization, BootstrapIdentity Identity);

public sealed record BootstrapUser(string Id, string Email);

public sealed record BootstrapOrganization(string Id, string Name, string Slug);

public sealed record BootstrapIdentity(string Id, string Name, BootstrapCredentials Credentials);

public sealed record BootstrapCredentials(string Token);

public sealed record StatusResponse(string Status, RootKeyInfo RootKey, string Version);

/// <summary>How the root key is protected (spec §10.8); the token members are omitted for SOFTWARE.</summary>
public sealed record RootKeyInfo(
    string Strategy,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    string? TokenLabel = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    string? Manufacturer = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    string? Model = null);

// Request records (spec §8.2–§8.5). They document the routes (OpenAPI) and bound what handlers may read
// (RequestContract); handlers read the JSON themselves to give spec §4's messages.

public sealed record LoginBody(string ClientId, string ClientSecret);

public sealed record AccessTokenBody([property: MinLength(1)] string AccessToken);

public sealed record BootstrapBody(
    [property: EmailAddress, MaxLength(254)] string Email,
    [property: Length(12, 128)] string Password,
    [property: Length(1, 64)] string Organization);
