namespace InfisicalKms.Web.Api.Contracts;

public sealed record LoginResponse(string AccessToken, long ExpiresIn, long AccessTokenMaxTTL, string TokenType);

public sealed record MessageResponse(string Message);

public sealed record BootstrapResponse(string Message, BootstrapUser User, BootstrapOrganization Organization, BootstrapIdentity Identity);

public sealed record BootstrapUser(string Id, string Email);

public sealed record BootstrapOrganization(string Id, string Name, string Slug);

public sealed record BootstrapIdentity(string Id, string Name, BootstrapCredentials Credentials);

public sealed record BootstrapCredentials(string Token);

public sealed record StatusResponse(string Status, RootKeyInfo RootKey, string Version);

public sealed record RootKeyInfo(string Strategy);

public sealed record LoginBody(string ClientId, string ClientSecret);

public sealed record AccessTokenBody(string AccessToken);

public sealed record BootstrapBody(string Email, string Password, string Organization);
