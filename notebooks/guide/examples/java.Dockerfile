# The guide's Java recipe (chapter 5) for this sample's plain JDK app (sample_apps/java, the build
# context): a JDK stage builds the jar, eclipse-temurin:17-jre runs `java -jar app.jar`.
# The guide's own listing is Spring Boot on Maven (maven:3.9.6-eclipse-temurin-17 and Maven
# Central), which needs a registry here: the sample's Dockerfile.spring-boot follows it and is
# reported as skipped. Adapted: javac and jar from eclipse-temurin:17-jdk take Maven's place.
FROM eclipse-temurin:17-jdk AS builder
WORKDIR /build
COPY src/main ./src/main
RUN mkdir -p classes && javac -d classes $(find src/main/java -name '*.java') \
 && jar --create --file app.jar --main-class dev.dockopt.sample.App -C classes .

FROM eclipse-temurin:17-jre
WORKDIR /app
COPY --from=builder /build/app.jar app.jar
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "app.jar"]
