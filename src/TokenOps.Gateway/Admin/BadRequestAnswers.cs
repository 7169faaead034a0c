namespace TokenOps.Gateway.Admin;

/// <summary>
/// A request body or parameter the framework could not bind (a number out of range, not JSON, a body cut short) is
/// answered 4xx with a JSON body that says what was wrong, not an empty 400 (or a 500 for a body cut short).
/// The proxied routes read their own bodies and answer in their protocol; this covers the admin, webhook and
/// dashboard endpoints.
/// </summary>
public static class BadRequestAnswers
{
    public static void AddBadRequestAnswers(this IServiceCollection services) =>
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

    public static void UseBadRequestAnswers(this WebApplication app) =>
        app.Use(async (http, next) =>
        {
            try
            {
                await next(http);
            }
            catch (BadHttpRequestException ex) when (!http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
            {
                var message = ex.InnerException is { } inner ? $"{ex.Message} {inner.Message}" : ex.Message;
                http.Response.Clear();
                await AdminEndpoints.Problem(ex.StatusCode, "invalid_request", message).ExecuteAsync(http);
            }
        });
}
