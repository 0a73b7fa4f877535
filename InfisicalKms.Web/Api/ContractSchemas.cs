using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using InfisicalKms.Core;
using InfisicalKms.Web.Api.Contracts;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace InfisicalKms.Web.Api;

/// <summary>
/// Makes the OpenAPI document say what the request records say: which members are required (the
/// non-nullable ones), the wire enums, base64 and slug members, the query parameters, and which path
/// parameters are UUIDs. The fuzz tests generate requests from this document, so it must not drift.
/// </summary>
public static class ContractSchemas
{
    private static readonly NullabilityInfoContext Nullability = new();

    public static void Configure(OpenApiOptions options)
    {
        options.AddSchemaTransformer((schema, context, _) =>
        {
            if (schema is OpenApiSchema target)
            {
                if (context.JsonPropertyInfo?.AttributeProvider is PropertyInfo member && IsRequestRecord(member.DeclaringType))
                {
                    Constrain(target, member);
                }
                else if (context.JsonPropertyInfo is null && IsRequestRecord(context.JsonTypeInfo.Type))
                {
                    target.Required = new HashSet<string>(RequestContract.Members(context.JsonTypeInfo.Type)
                        .Where(m => IsRequired(m.Property)).Select(m => m.Name));
                }
            }

            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            IList<object> metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<QueryParameters>().FirstOrDefault() is { } query)
            {
                operation.Parameters ??= [];
                foreach ((string name, PropertyInfo member) in RequestContract.Members(query.Type))
                {
                    var schema = new OpenApiSchema();
                    Describe(schema, member.PropertyType);
                    Constrain(schema, member);
                    operation.Parameters.Add(new OpenApiParameter { Name = name, In = ParameterLocation.Query, Required = IsRequired(member), Schema = schema });
                }
            }

            foreach (OpenApiParameter path in (operation.Parameters ?? []).OfType<OpenApiParameter>().Where(p => p.In == ParameterLocation.Path))
            {
                if (path.Schema is OpenApiSchema schema)
                {
                    // Spec §4.4: the IDs of keys, identities, users and client secrets are UUIDs; projectId is any string.
                    schema.Format = path.Name is { } name && name.EndsWith("Id", StringComparison.Ordinal) && name != "projectId" ? "uuid" : schema.Format;
                    if (path.Name == "keyName")
                    {
                        ApplySlug(schema, new SlugAttribute(1, 64));
                    }
                }
            }

            if (operation.RequestBody is OpenApiRequestBody body && metadata.OfType<JsonRequestBody>().FirstOrDefault() is { } contract)
            {
                // Spec §1.2: an absent body is {}; it is required only where a member is.
                body.Required = RequestContract.Members(contract.Type).Any(m => IsRequired(m.Property));
            }

            return Task.CompletedTask;
        });
    }

    /// <summary>Whether a request member must be present: its type is not nullable.</summary>
    public static bool IsRequired(PropertyInfo member) => Nullability.Create(member).ReadState != NullabilityState.Nullable;

    private static bool IsRequestRecord(Type? type) =>
        type is not null && type.Namespace == typeof(EncryptBody).Namespace
        && (type.Name.EndsWith("Body", StringComparison.Ordinal) || type.Name.StartsWith("BatchBody", StringComparison.Ordinal)
            || type.Name.EndsWith("Query", StringComparison.Ordinal));

    private static void Describe(OpenApiSchema schema, Type type)
    {
        Type plain = Nullable.GetUnderlyingType(type) ?? type;
        (schema.Type, schema.Format) = plain switch
        {
            _ when plain == typeof(int) || plain == typeof(long) => (JsonSchemaType.Integer, null),
            _ when plain == typeof(bool) => (JsonSchemaType.Boolean, null),
            _ when plain == typeof(Guid) => (JsonSchemaType.String, "uuid"),
            _ when plain == typeof(DateTimeOffset) => (JsonSchemaType.String, "date-time"),
            _ => (JsonSchemaType.String, (string?)null),
        };
    }

    private static void Constrain(OpenApiSchema schema, PropertyInfo member)
    {
        foreach (Attribute attribute in member.GetCustomAttributes())
        {
            switch (attribute)
            {
                case Base64Attribute base64:
                    schema.Format = "byte";
                    schema.MaxLength = (int)Math.Min(int.MaxValue, (base64.MaxBytes + 2L) / 3 * 4);
                    schema.MinLength = base64.MinBytes > 0 ? 4 : null;
                    schema.Description = $"Standard base64 with padding; at most {base64.MaxBytes} bytes once decoded.";
                    break;
                case SlugAttribute slug:
                    ApplySlug(schema, slug);
                    break;
                case AllowedValuesAttribute allowed:
                    schema.Enum = allowed.Values.Select(v => JsonValue.Create(v)!).Cast<JsonNode>().ToList();
                    break;
                case RangeAttribute range:
                    schema.Minimum = Convert.ToString(range.Minimum, CultureInfo.InvariantCulture);
                    schema.Maximum = Convert.ToString(range.Maximum, CultureInfo.InvariantCulture);
                    break;
                case MinLengthAttribute min when !IsList(member):
                    schema.MinLength = min.Length;
                    break;
                case EmailAddressAttribute:
                    schema.Format = "email";
                    break;
                default:
                    if (attribute.GetType() is { IsGenericType: true } generic && generic.GetGenericTypeDefinition() == typeof(WireEnumAttribute<>))
                    {
                        // On a list (KMIP permissions) the names are what each item may be.
                        OpenApiSchema target = IsList(member) && schema.Items is OpenApiSchema items ? items : schema;
                        target.Enum = WireNamesOf(generic.GetGenericArguments()[0]).Select(n => (JsonNode)JsonValue.Create(n)).ToList();
                    }

                    break;
            }
        }
    }

    private static void ApplySlug(OpenApiSchema schema, SlugAttribute slug)
    {
        schema.Pattern = SlugAttribute.Pattern;
        schema.MinLength = slug.Min;
        schema.MaxLength = slug.Max;
    }

    private static bool IsList(PropertyInfo member) => RequestContract.ElementType(member.PropertyType) is not null;

    /// <summary>The wire names of an enum, from the <see cref="WireNames{TEnum}"/> field Core declares for it.</summary>
    private static IEnumerable<string> WireNamesOf(Type enumType)
    {
        Type namesType = typeof(WireNames<>).MakeGenericType(enumType);
        object names = enumType.Assembly.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Single(f => f.FieldType == namesType).GetValue(null)!;
        return (IEnumerable<string>)namesType.GetProperty("Names")!.GetValue(names)!;
    }
}
