using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace InfisicalKms.Web.Api;

/// <summary>The OpenAPI document of spec §10.9: Bearer security and an <c>x-compatibility</c> label per operation.</summary>
public static class KmsOpenApi
{
    /// <summary>The name of the bearer security scheme in the document.</summary>
    public const string BearerScheme = "Bearer";

    public static OpenApiOptions Configure(OpenApiOptions options)
    {
        options.ShouldInclude = description => description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true;
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo { Title = "InfisicalKms API", Version = "v1" };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An access token from Universal Auth login or bootstrap.",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer(async (operation, context, ct) =>
        {
            IList<object> metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<JsonRequestBody>().FirstOrDefault() is { } body)
            {
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(body.Type, null, ct) },
                    },
                };
            }

            if (metadata.OfType<CompatibilityLabel>().FirstOrDefault() is { } label)
            {
                operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
                operation.Extensions["x-compatibility"] = new JsonNodeExtension(JsonValue.Create(label.Value));
            }

            if (metadata.OfType<IEndpointFilter>().Any() || context.Description.RelativePath?.StartsWith("api/v1/", StringComparison.Ordinal) == true
                && !IsPublic(context.Description.RelativePath))
            {
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] }];
            }
        });
        ContractSchemas.Configure(options);   // after the transformer above, which adds the request bodies
        return options;
    }

    private static bool IsPublic(string path) =>
        path is "api/v1/auth/universal-auth/login" or "api/v1/auth/token/renew" or "api/v1/auth/token/revoke" or "api/v1/admin/bootstrap";
}
