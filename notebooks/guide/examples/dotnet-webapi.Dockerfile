# The guide's .NET recipe (chapter 5), written for sample_apps/dotnet-webapi (the build context):
# restore from the project file, publish with the SDK, run on the ASP.NET runtime image.
# Needs mcr.microsoft.com (the SDK and runtime images) and NuGet: reported as skipped here.
FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
WORKDIR /src
COPY *.csproj ./
RUN dotnet restore
COPY . .
RUN dotnet publish -c Release -o /app/publish

FROM mcr.microsoft.com/dotnet/aspnet:8.0
WORKDIR /app
COPY --from=build /app/publish .
EXPOSE 8080
ENTRYPOINT ["dotnet", "DotnetWebapi.dll"]
