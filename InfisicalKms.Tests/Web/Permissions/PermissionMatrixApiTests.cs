using System.Net.Http.Json;
using System.Text.RegularExpressions;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Web.Permissions;

/// <summary>
/// Every route of <see cref="PermissionMatrix"/> called by every <see cref="MatrixRole"/> with a valid request, against
/// the spec's role tables (§9.3–§9.7): allowed → the route's answer; a member lacking the action → 403
/// <c>PermissionDenied</c> naming the first missing action; no membership → the route's 404. The table must
/// list exactly the routes the app has.
/// </summary>
public sealed class PermissionMatrixApiTests(PermissionMatrixFixture api) : IClassFixture<PermissionMatrixFixture>
{
    public static TheoryData<string, MatrixRole> Cases
    {
        get
        {
            var cases = new TheoryData<string, MatrixRole>();
            foreach (MatrixRoute route in PermissionMatrix.Routes)
            {
                foreach (MatrixRole role in SpecPermissions.Roles)
                {
                    cases.Add(route.Display, role);
                }
            }

            return cases;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Route_CalledByRole_AnswersAsTheSpecMatrixSays(string route, MatrixRole role)
    {
        // Arrange
        MatrixRoute row = PermissionMatrix.Routes.Single(r => r.Display == route);
        MatrixWorld world = await api.WorldAsync();
        MatrixCaller caller = world.Callers[role];
        MatrixRequest request = await row.Request(api, world, caller);
        Assert.Matches(PatternRegex(row.Pattern), request.Path.Split('?')[0]);   // the row's request reaches the row's route
        using var message = new HttpRequestMessage(new HttpMethod(row.Method), request.Path)
        {
            Content = request.Body is null ? null : JsonContent.Create(request.Body),
        };

        // Act
        HttpResponseMessage response = await caller.Client.SendAsync(message);

        // Assert
        Outcome expected = SpecPermissions.Expect(row.Right, role);
        switch (expected.Kind)
        {
            case OutcomeKind.Allowed when row.AllowedBadRequest is { } refusal:
                await ApiAssert.ErrorAsync(response, 400, "BadRequest", refusal);
                break;
            case OutcomeKind.Allowed:
                await ApiAssert.OkAsync(response);
                break;
            case OutcomeKind.PermissionDenied:
                await ApiAssert.ErrorAsync(response, 403, "PermissionDenied", expected.Message!);
                break;
            case OutcomeKind.NotFound:
                Assert.True(request.NotFound is not null, $"{row} needs the 404 message non-members get (§9.7)");
                await ApiAssert.ErrorAsync(response, 404, "NotFound", request.NotFound);
                break;
        }
    }

    [Fact]
    public void EndpointDataSource_EveryApiRoute_HasExactlyOneRowAndEveryRowARoute()
    {
        List<string> app = AppRoutes(api.Services.GetRequiredService<EndpointDataSource>());
        List<string> table = PermissionMatrix.Routes.Select(r => r.Display).ToList();

        IEnumerable<string> withoutRow = app.Except(table);
        IEnumerable<string> withoutRoute = PermissionMatrix.Routes.Where(r => !app.Contains(r.Display)).Select(r => r.ToString());
        Assert.True(!withoutRow.Any() && !withoutRoute.Any(),
            $"app routes without a matrix row: {string.Join(", ", withoutRow)}\nmatrix rows without an app route: {string.Join(", ", withoutRoute)}");
        Assert.Equal(table.Count, table.Distinct().Count());
    }

    [Fact]
    public void Table_NumbersTheSpecIndexInOrder()
    {
        Assert.Equal(Enumerable.Range(1, 64), PermissionMatrix.Routes.Select(r => r.Number));   // 1–52 as spec §0, then issue 15's route, issue 16's and issue 17's
    }

    /// <summary>
    /// "METHOD pattern" of every API endpoint (under /api/, as the contract test reads them) and of the OpenAPI
    /// document route; Blazor pages, Identity's account endpoints and static files are not API routes.
    /// </summary>
    private static List<string> AppRoutes(EndpointDataSource source) =>
        KmsApiContractTests.ApiEndpoints(source).Select(r => $"{r.Method} {r.Pattern}")
            .Concat(source.Endpoints.OfType<RouteEndpoint>()
                .Where(e => e.RoutePattern.RawText?.StartsWith("/openapi/", StringComparison.Ordinal) == true)
                .Select(e => $"{string.Join(",", e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["(any)"])} {e.RoutePattern.RawText}"))
            .ToList();

    /// <summary>The route pattern as a regular expression over a request path: each <c>{parameter}</c> is one segment.</summary>
    private static string PatternRegex(string pattern) => "^" + Regex.Replace(Regex.Escape(pattern), @"\\\{[^}]*}", "[^/]+") + "$";
}
