namespace InfisicalKms.Web.Api;

/// <summary>Composes the HTTP API of spec §0 with its shared defaults.</summary>
public static class KmsApi
{
    public static IEndpointRouteBuilder MapKmsApi(this IEndpointRouteBuilder app)
    {
        app.MapAuthEndpoints();

        RouteGroupBuilder api = app.MapGroup("/api/v1").AddEndpointFilter<KmsAuthFilter>().WithTags("KMS");
        api.MapGroup("/kms/keys").MapKeyEndpoints().MapImportEndpoints().MapBulkEndpoints();
        api.MapGroup("/kms/keys/{keyId}").MapCryptoEndpoints().MapLifecycleEndpoints().MapMacEndpoints().MapBatchEndpoints().MapKeyUsageEndpoints();
        api.MapGroup("/projects").MapProjectEndpoints().MapAuditEndpoints().MapProjectUsageEndpoints();
        api.MapGroup("/organizations").MapOrganizationAuditEndpoints();
        api.MapIdentityEndpoints();
        api.MapKmipEndpoints();
        return app;
    }

    /// <summary>
    /// Documents the JSON request body in OpenAPI without routing on it: <c>Accepts</c> would let routing
    /// answer a wrong content type itself (before authentication, as an empty 415) instead of the spec's order.
    /// </summary>
    public static RouteHandlerBuilder JsonBody<TBody>(this RouteHandlerBuilder route) => route.WithMetadata(new JsonRequestBody(typeof(TBody)));

    /// <summary>Documents the route's query parameters: the members of <typeparamref name="TQuery"/>.</summary>
    public static RouteHandlerBuilder Query<TQuery>(this RouteHandlerBuilder route) => route.WithMetadata(new QueryParameters(typeof(TQuery)));

    /// <summary>Labels a route <c>x-compatibility: infisical</c> in the OpenAPI document (spec §0 labels).</summary>
    public static RouteHandlerBuilder Infisical(this RouteHandlerBuilder route) => route.WithMetadata(new CompatibilityLabel("infisical"));

    /// <summary>Labels a route <c>x-compatibility: extension</c>.</summary>
    public static RouteHandlerBuilder Extension(this RouteHandlerBuilder route) => route.WithMetadata(new CompatibilityLabel("extension"));
}

/// <summary>Endpoint metadata: the documented shape of a route's JSON body.</summary>
public sealed record JsonRequestBody(Type Type);

/// <summary>Endpoint metadata: whether a route is Infisical-compatible or an extension.</summary>
public sealed record CompatibilityLabel(string Value);
