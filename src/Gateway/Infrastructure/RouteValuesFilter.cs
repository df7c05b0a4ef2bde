namespace Autonomy.Gateway.Infrastructure;

/// <summary>
/// Checks the ids and names in the path (tenantId, accountId, sellerId, runId, actionType, scope) before any
/// handler runs, so a malformed id is a 400 naming it and never reaches a grain.
/// </summary>
public sealed class RouteValuesFilter : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var validation = new Validation();
        foreach (var (name, value) in context.HttpContext.Request.RouteValues)
        {
            var text = value as string;
            switch (name)
            {
                case "tenantId" or "accountId" or "sellerId" or "runId":
                    validation.Key(text, name);
                    break;
                case "actionType" or "type":
                    validation.Name(text, name);
                    break;
                case "scope" when text != "all":
                    if (!Autonomy.Actions.ActionCatalog.IsValidName(text))
                    {
                        validation.Add(name, "scope must be \"all\" or an action type (UPPER_SNAKE_CASE, e.g. SEND_EMAIL).");
                    }

                    break;
            }
        }

        return validation.IsValid ? next(context) : ValueTask.FromResult<object?>(validation.Problem());
    }
}
